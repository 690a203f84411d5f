"""Importing a ServiceNow incident event log: the incidents the database lacks, with their
history, SLA outcome and problem links, in one transaction of bulk statements."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import customer_by_slug, default_customer
from tocsin.core.clock import Clock
from tocsin.core.errors import ValidationFailed
from tocsin.db.raw import Raw
from tocsin.db.session import Database
from tocsin.imports.servicenow import BadFile, Parsed, Record, email_domain, open_rows, parse
from tocsin.imports.writer import Writer, chunks, imported_problems, present, raise_counter

# (stage, done, total): "reading" counts rows (total unknown: 0), "writing" incidents.
Progress = Callable[[str, int, int], None]
CHUNK = 2000  # incidents per round of statements (and per progress step)


@dataclass(slots=True)
class ImportSummary:
    """What an import did (or, in a dry run, would do)."""

    file: str
    customer: str
    rows_read: int = 0
    created: int = 0
    already_present: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    timeline_entries: int = 0
    problems_created: int = 0
    dry_run: bool = False

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "customer": self.customer,
            "rows_read": self.rows_read,
            "incidents_created": self.created,
            "incidents_already_present": self.already_present,
            "rows_skipped": self.rows_skipped,
            "skipped": dict(sorted(self.skipped.items())),
            "timeline_entries": self.timeline_entries,
            "problems_created": self.problems_created,
            "dry_run": self.dry_run,
        }


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"{name!r} is not a time zone.", field="time_zone") from None


class ServicenowImport:
    def __init__(self, db: Database, clock: Clock, *, priority_matrix: Mapping[str, int]) -> None:
        self.db = db
        self.clock = clock
        self.matrix = dict(priority_matrix)

    def run(
        self,
        principal: Principal,
        path: Path,
        *,
        customer: str | None = None,
        zone: str = "UTC",
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Import the log at `path` (.csv or .zip) for `customer` (default: the provider).
        Incidents whose number the database already has are left as they are."""
        principal.require(Permission.IMPORT_RUN)
        tz = time_zone(zone)
        with self.db.read() as session:
            if customer:
                target = customer_by_slug(session, principal, customer)
            elif principal.all_customers:
                target = default_customer(session)
            else:
                own = session.get(Customer, principal.customer_id)
                assert own is not None
                target = own
            customer_id, customer_slug = target.id, target.slug
            domain = email_domain(target.slug, provider=target.is_default)
        report = progress or (lambda _stage, _done, _total: None)
        try:
            parsed = parse(
                _counting(open_rows(path), report), zone=tz, matrix=self.matrix, domain=domain
            )
        except BadFile as exc:
            raise ValidationFailed(str(exc), field="file") from None
        summary = ImportSummary(
            file=path.name,
            customer=customer_slug,
            rows_read=parsed.rows_read,
            skipped=parsed.skipped,
            dry_run=dry_run,
        )
        if dry_run:
            with self.db.read() as session:
                raw = Raw(session.connection())
                new = self._count(raw, parsed, summary)
                labels = {r.problem for r in new if r.problem}
                summary.problems_created = len(
                    labels - set(imported_problems(raw, customer_id, labels))
                )
            return summary
        with self.db.unit_of_work() as uow:
            raw = uow.raw
            new = self._count(raw, parsed, summary)
            now = self.clock.now()
            writer = Writer(raw, customer_id, principal, now, domain)
            summary.problems_created = writer.references(new)
            report("writing", 0, len(new))
            for done, chunk in enumerate(chunks(new, CHUNK), start=1):
                writer.incidents(chunk)
                report("writing", min(done * CHUNK, len(new)), len(new))
            raise_counter(raw, [r.number for r in new])
            uow.record(
                "import.completed",
                "import",
                None,
                actor=principal.actor,
                customer_id=customer_id,
                source="servicenow-csv",
                time_zone=zone,
                **{k: v for k, v in summary.as_dict().items() if k not in ("customer", "dry_run")},
            )
        return summary

    @staticmethod
    def _count(raw: Raw, parsed: Parsed, summary: ImportSummary) -> list[Record]:
        """The records whose number the database lacks; the summary counts both kinds."""
        have = present(raw, [r.number for r in parsed.records])
        new = [r for r in parsed.records if r.number not in have]
        summary.already_present = len(parsed.records) - len(new)
        summary.created = len(new)
        summary.timeline_entries = sum(len(r.events) for r in new)
        return new


def _counting(lines: Iterable[list[str]], report: Progress) -> Iterable[list[str]]:
    n = 0
    for n, line in enumerate(lines):
        if n % 5000 == 0:
            report("reading", n, 0)
        yield line
    report("reading", n, 0)  # rows after the header
