"""PostgreSQL databases for the tests, reused instead of created one per test.

Creating a database from the migrated template costs about half a second (PostgreSQL
copies every relation and syncs it), which over a thousand PostgreSQL tests was minutes
of the suite. A database handed back is emptied instead (every table deleted, the rows
the migrations seed copied back, every sequence set where the template has it): a few
milliseconds. A test that changed the schema (migrations run down, a table added) leaves
a database whose schema fingerprint no longer matches the template's; that one is
dropped and a new one created, so every test still starts on exactly the template.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

# Tables, columns, defaults, indexes, constraints, triggers, functions and the migration
# revision: what a test could change in the schema.
FINGERPRINT = """
SELECT md5(string_agg(x, E'\\n' ORDER BY x)) FROM (
  SELECT table_name || '.' || column_name || ' ' || data_type || ' '
         || coalesce(column_default, '') || ' ' || is_nullable
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT tgrelid::regclass::text || ' ' || tgname
    FROM pg_trigger WHERE NOT tgisinternal
  UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'revision ' || version_num FROM alembic_version
) AS schema_parts(x)
"""


@dataclass
class Seed:
    """What the migrated template holds: its rows (COPY text) and its sequences."""

    fingerprint: str
    tables: list[str]
    rows: dict[str, bytes]
    # (sequence, value, is_called) as setval takes them
    sequences: list[tuple[str, int, bool]]


def _read_seed(conninfo: str) -> Seed:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        fingerprint = conn.execute(FINGERPRINT).fetchone()[0]  # type: ignore[index]
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' ORDER BY tablename"
            )
        ]
        rows: dict[str, bytes] = {}
        with conn.cursor() as cur:
            for table in tables:
                statement = sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(table))
                with cur.copy(statement) as copy:
                    data = b"".join(bytes(chunk) for chunk in copy)
                if data:
                    rows[table] = data
        sequences = [
            (f"{schema}.{name}", last if last is not None else start, last is not None)
            for schema, name, last, start in conn.execute(
                "SELECT schemaname, sequencename, last_value, start_value FROM pg_sequences "
                "WHERE schemaname = 'public'"
            )
        ]
    return Seed(fingerprint, tables, rows, sequences)


@dataclass
class PgPool:
    """One worker's databases: handed out one at a time, emptied when handed out again."""

    admin_conninfo: str
    template: str
    conninfo_for: Callable[[str], str]  # a database's conninfo, by name
    free: list[str] = field(default_factory=list)
    made: list[str] = field(default_factory=list)
    seed: Seed | None = None

    def acquire(self) -> str:
        if self.seed is None:
            self.seed = _read_seed(self.conninfo_for(self.template))
        while self.free:
            name = self.free.pop()
            if self._reset(name):
                return name
            self.drop(name)
        name = f"tocsin_t_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.made.append(name)
        return name

    def release(self, name: str) -> None:
        self.free.append(name)

    def close(self) -> None:
        for name in self.made:
            self.drop(name)
        self.made.clear()
        self.free.clear()

    def terminate(self, name: str) -> None:
        """Closes every connection to the database `name` (but this one)."""
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )

    def drop(self, name: str) -> None:
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)

    def _reset(self, name: str) -> bool:
        """Back to the template's contents; False when the schema is no longer the
        template's."""
        seed = self.seed
        assert seed is not None
        self.terminate(name)  # what the last test left connected (a pool, a server)
        with psycopg.connect(self.conninfo_for(name), autocommit=True) as conn:
            if conn.execute(FINGERPRINT).fetchone()[0] != seed.fingerprint:  # type: ignore[index]
                return False
            with conn.transaction(), conn.cursor() as cur:
                # no foreign-key checks or triggers while the rows are put back
                cur.execute("SET LOCAL session_replication_role = replica")
                for table in seed.tables:
                    cur.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                for table, data in seed.rows.items():
                    statement = sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table))
                    with cur.copy(statement) as copy:
                        copy.write(data)
                for sequence, value, called in seed.sequences:
                    cur.execute("SELECT setval(%s, %s, %s)", (sequence, value, called))
        return True
