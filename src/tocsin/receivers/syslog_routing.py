"""Which syslog integration a sender's messages belong to.

The enabled syslog integration with the lowest id whose ``config.parser["sources"]`` (a list
of addresses or CIDR blocks) contains the sender wins; else the lowest-id one without
``sources``; else none, and the message is dropped. A ``sources`` list whose entries are all
invalid matches nobody (a broken restriction never turns into a catch-all).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tocsin.alerts.keys import IntegrationRef
from tocsin.receivers.peers import Address, Network, contains, networks

log = logging.getLogger("tocsin.receivers.syslog")

# Like IntegrationService.by_key: changes made elsewhere are seen this quickly.
CACHE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Route:
    integration: IntegrationRef
    sources: list[Network] | None  # None: any sender


def route_of(integration: IntegrationRef) -> Route:
    """The route of one integration: its ``sources`` (a list, or a comma-separated string)
    as networks; invalid entries are logged and left out."""
    raw = integration.config.parser.get("sources")
    if raw is None or raw == [] or raw == "":
        return Route(integration, None)
    entries = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else [raw]
    blocks: list[Network] = []
    for entry in entries:
        try:
            if not isinstance(entry, str):
                raise ValueError(f"{entry!r} is not a string")
            blocks += networks([entry])
        except ValueError as exc:
            log.warning(
                "syslog integration has an invalid source; ignored",
                extra={"integration": integration.name, "error": str(exc)},
            )
    return Route(integration, blocks)


def choose(routes: Sequence[Route], address: Address) -> IntegrationRef | None:
    """The integration for a sender (see the module documentation); `routes` by id."""
    for route in routes:
        if route.sources is not None and contains(route.sources, address):
            return route.integration
    for route in routes:
        if route.sources is None:
            return route.integration
    return None


class SyslogRoutes:
    """The routes, read at most every `ttl` seconds. `cached()` never touches the database
    (safe on the event loop); `load()` does (run it in a worker thread)."""

    def __init__(
        self,
        load: Callable[[], list[IntegrationRef]],
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._routes: tuple[float, list[Route]] | None = None

    def cached(self) -> list[Route] | None:
        with self._lock:
            current = self._routes
        if current is None or self.clock() - current[0] >= self.ttl:
            return None
        return current[1]

    def load(self) -> list[Route]:
        fresh = self.cached()
        if fresh is not None:
            return fresh
        routes = [route_of(integration) for integration in self._load()]
        with self._lock:
            self._routes = (self.clock(), routes)
        return routes
