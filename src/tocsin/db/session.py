"""Database handle and unit of work: one transaction per change, events handled before commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict
from tocsin.core.events import Actor, DomainEvent
from tocsin.db.checkpoint import WalCheckpointer
from tocsin.db.raw import Raw
from tocsin.db.writelock import NoWriteLock, WriteLock

# A subscriber runs inside the transaction, just before commit, with every event the
# unit of work collected; what it writes commits (or rolls back) with the change itself.
Subscriber = Callable[[Raw, list[DomainEvent]], None]


def _sqlite_file(engine: Engine) -> str | None:
    """The path of a SQLite database file (None for PostgreSQL or an in-memory database)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _write_lock(engine: Engine, path: str | None) -> WriteLock:
    if engine.dialect.name != "sqlite":
        return NoWriteLock()
    # without a file there is one process only: its threads still take turns
    return WriteLock(None if path is None else path + "-writelock")


def _checkpointer(engine: Engine, path: str | None, lock: WriteLock) -> WalCheckpointer | None:
    """A SQLite file's WAL is copied back by a thread (see db.checkpoint), not by writers."""
    if path is None:
        return None
    event.listen(engine, "connect", _no_autocheckpoint)
    return WalCheckpointer(path, lock)


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


class Database:
    """Owns the engine; hands out read sessions and units of work."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.write_engine = engine.execution_options(tocsin_write=True)
        self._snapshot_engine = (
            engine.execution_options(isolation_level="REPEATABLE READ")
            if engine.dialect.name == "postgresql"
            else engine
        )
        path = _sqlite_file(engine)
        self.write_lock = _write_lock(engine, path)
        self.checkpointer = _checkpointer(engine, path, self.write_lock)
        self.clock = clock
        self.subscribers: list[Subscriber] = []
        # Called after a transaction that recorded events committed: the engine wakes
        # its notification loop, so a page does not wait for the next poll.
        self.after_commit: list[Callable[[], None]] = []
        # SQLite has one writer at a time anyway (the write lock), so its units of work
        # share one connection kept open, with its driver cursor: taking a connection
        # from the pool and giving it back costs nearly as much as an empty transaction.
        # PostgreSQL's writers run side by side, each on a connection of its own.
        self._keeps_writer = engine.dialect.name == "sqlite"
        self._writer: tuple[Connection, Raw] | None = None
        self._writer_user: UnitOfWork | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session. On SQLite its statements read one snapshot; on PostgreSQL
        (read committed) each statement reads what had committed when it began."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session whose statements all read one snapshot, on both databases:
        for reads that must agree with each other (a report's count and the values it
        then looks up by rank)."""
        with Session(self._snapshot_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    def _write_connection(self, uow: UnitOfWork) -> tuple[Connection, Raw | None]:
        """A connection for a unit of work, with its cursor when it is SQLite's kept one
        (called with the write lock held)."""
        if not self._keeps_writer:
            return self.write_engine.connect(), None
        if self._writer_user is not None:
            # The write lock is re-entrant within a thread; SQLite would wait for itself
            # (its busy timeout) before refusing a second writer.
            raise RuntimeError("a unit of work cannot be opened inside another")
        if self._writer is not None:
            connection = self._writer[0]
            if connection.closed or connection.invalidated:
                self._writer = None
                connection.close()
            elif connection.in_transaction():  # left over by a failed rollback
                connection.rollback()
        if self._writer is None:
            connection = self.write_engine.connect()
            self._writer = (connection, Raw(connection))
        self._writer_user = uow
        return self._writer

    def _release(self, uow: UnitOfWork, connection: Connection) -> None:
        if self._writer_user is uow:
            self._writer_user = None
        else:
            connection.close()  # back to the pool

    def close(self) -> None:
        """Stop the checkpoint thread, then close every connection (the last one to close
        copies what is left of the WAL back into the database file)."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
        with self.write_lock.held():
            if self._writer is not None:
                self._writer[0].close()
                self._writer = None
        self.engine.dispose()
        self.write_lock.close()


class UnitOfWork:
    """`with db.unit_of_work() as uow:` — commits on clean exit, rolls back on error.

    The transaction is a connection's; the ORM session on it is made when first asked for
    (`uow.session`). The alert pipeline's hot path speaks to the driver (`uow.raw`) and
    never needs one: a session's own bookkeeping (its transaction, identity map, flush and
    close) costs about as much as the rest of a small transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.events: list[DomainEvent] = []
        self._committed = False
        self._lock = db.write_lock.held()
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._raw: Raw | None = None

    def __enter__(self) -> Self:
        self._lock.__enter__()
        try:
            self._connection, self._raw = self.db._write_connection(self)
            self._connection.begin()
        except BaseException:
            if self._connection is not None:
                self.db._release(self, self._connection)
            self._connection = self._raw = None
            self._lock.__exit__(None, None, None)
            raise
        return self

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("a unit of work is used inside its `with` block only")
        return self._connection

    @property
    def session(self) -> Session:
        """The ORM session, in this unit of work's transaction (made on first use)."""
        if self._session is None:
            # "rollback_only": a failed flush rolls the transaction back; committing it
            # is this unit of work's job, not the session's.
            self._session = Session(
                bind=self.connection,
                expire_on_commit=False,
                autoflush=True,
                join_transaction_mode="rollback_only",
            )
            if self._raw is not None:
                Raw.share(self._session, self._raw)
        return self._session

    @property
    def raw(self) -> Raw:
        """The driver cursor, in this unit of work's transaction (the hot paths')."""
        if self._raw is None:
            self._raw = Raw(self.connection) if self._session is None else Raw.of(self._session)
        return self._raw

    def flush(self) -> None:
        """Write what the session holds (nothing to do when no session was needed)."""
        if self._session is not None:
            self._session.flush()

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)

    def record(
        self,
        action: str,
        object_type: str,
        object_id: object,
        *,
        actor: Actor,
        customer_id: int | None,
        at: datetime | None = None,
        **data: Any,
    ) -> None:
        """Emit a domain event, stamped with the clock unless a time is given."""
        self.emit(
            self.event(
                action, object_type, object_id, actor=actor, customer_id=customer_id, at=at, **data
            )
        )

    def event(
        self,
        action: str,
        object_type: str,
        object_id: object,
        *,
        actor: Actor,
        customer_id: int | None,
        at: datetime | None = None,
        **data: Any,
    ) -> DomainEvent:
        """A domain event as `record` would emit it, for a caller that emits it later."""
        return DomainEvent(
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            actor=actor,
            at=at or self.db.clock.now(),
            customer_id=customer_id,
            data=dict(data),
        )

    def commit(self) -> None:
        self.flush()
        if self.events:
            for subscriber in self.db.subscribers:
                subscriber(self.raw, self.events)
        self.connection.commit()
        self._committed = True
        if self.events:
            for hook in self.db.after_commit:
                hook()
        if self.db.checkpointer is not None:
            self.db.checkpointer.committed()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and not self._committed:
                try:
                    self.commit()
                except IntegrityError as error:
                    self.connection.rollback()
                    conflict = as_conflict(error)
                    if conflict is None:
                        raise
                    raise conflict from error
            elif not self._committed:
                self.connection.rollback()
                conflict = as_conflict(exc) if isinstance(exc, IntegrityError) else None
                if conflict is not None:
                    raise conflict from exc
        finally:
            try:
                if self._session is not None:
                    self._session.close()
            finally:
                try:
                    self.db._release(self, self.connection)
                finally:
                    self._connection = self._session = self._raw = None
                    self._lock.__exit__(None, None, None)


def as_conflict(error: IntegrityError) -> Conflict | None:
    """A unique value another transaction took first (a service checked for it, but on
    PostgreSQL two transactions can both pass the check before either commits) is a
    conflict the caller can act on; any other integrity error is left as it is."""
    driver = error.orig
    unique = getattr(driver, "sqlstate", None) == "23505" or getattr(
        driver, "sqlite_errorname", ""
    ) in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
    if not unique:
        return None
    return Conflict(
        "Something with the same name or key was saved at the same moment by another "
        "request, so nothing was changed; reload and try again."
    )
