"""How many refused requests the audit log records one by one, and summaries of the rest.

Every refused request (an unknown token, a bad integration key, a failed CSRF check, a
role without the permission) is audited. Anyone who can reach the server can send those
as fast as the network carries them, so recording each would let a stranger grow the
audit log without limit. Within each minute, the first refusals of a source are recorded
one by one (and so are the first of all sources together); the rest are only counted,
and when the minute is over each source that went over gets one summary entry. Pure:
the caller gives the time and writes what this module decides.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
PER_SOURCE = 10  # refusals a minute recorded one by one, per source
OVERALL = 120  # refusals a minute recorded one by one, all sources together
SUMMARIES = 50  # sources a minute with a summary entry of their own; the rest share one
TRACKED = 10_000  # sources counted at once; further sources are counted as one
REASONS = 10  # reasons named in a summary at most
OTHER = "(other sources)"


@dataclass(slots=True)
class _Count:
    written: int = 0
    suppressed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Summary:
    """Refusals of one minute that were counted and not recorded one by one."""

    source: str
    # 1, or how many sources were folded into this summary (the sources counted as one
    # past TRACKED count once)
    sources: int
    refusals: int
    reasons: dict[str, int]
    start: datetime
    end: datetime


class RefusalLimiter:
    """Decides, per refusal, whether it is recorded; collects the summaries due. Safe to
    call from several threads (the web server's worker threads refuse concurrently)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start: datetime | None = None
        self._counts: dict[str, _Count] = {}
        self._written = 0

    def admit(self, source: str, reason: str, now: datetime) -> tuple[bool, list[Summary]]:
        """Whether this refusal is recorded one by one, and the summaries of a minute that
        ended before it (to be written with it)."""
        with self._lock:
            ended = self._roll(now)
            if self._start is None:
                self._start = now
            count = self._counts.get(source)
            if count is None:
                if len(self._counts) >= TRACKED:
                    source = OTHER
                count = self._counts.setdefault(source, _Count())
            if source != OTHER and count.written < PER_SOURCE and self._written < OVERALL:
                count.written += 1
                self._written += 1
                return True, ended
            count.suppressed += 1
            count.reasons[reason] += 1
            return False, ended

    def due(self, now: datetime) -> list[Summary]:
        """The summaries of a minute that has ended (for a periodic flush)."""
        with self._lock:
            return self._roll(now)

    def drain(self, now: datetime) -> list[Summary]:
        """Every summary pending, the current minute included (at shutdown)."""
        with self._lock:
            return self._close(now)

    def _roll(self, now: datetime) -> list[Summary]:
        if self._start is None or now < self._start + WINDOW:
            return []
        return self._close(self._start + WINDOW)

    def _close(self, end: datetime) -> list[Summary]:
        start = self._start
        counts = self._counts
        self._start, self._counts, self._written = None, {}, 0
        if start is None:
            return []
        over = sorted(
            ((source, c) for source, c in counts.items() if c.suppressed),
            key=lambda pair: (pair[0] == OTHER, -pair[1].suppressed, pair[0]),
        )
        own, folded = over[:SUMMARIES], over[SUMMARIES:]
        if own and own[-1][0] == OTHER:  # the catch-all is never a source of its own
            folded.insert(0, own.pop())
        summaries = [_summary(source, 1, [c], start, end) for source, c in own]
        if folded:
            counts_folded = [c for _, c in folded]
            summaries.append(_summary(OTHER, len(folded), counts_folded, start, end))
        return summaries


def _summary(
    source: str, sources: int, counts: list[_Count], start: datetime, end: datetime
) -> Summary:
    reasons: Counter[str] = Counter()
    for count in counts:
        reasons.update(count.reasons)
    return Summary(
        source=source,
        sources=sources,
        refusals=sum(c.suppressed for c in counts),
        reasons=dict(reasons.most_common(REASONS)),
        start=start,
        end=end,
    )
