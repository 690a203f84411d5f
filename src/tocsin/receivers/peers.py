"""Who may send, and how often a refusal is worth a log line: the source-address allow list
and a per-key log throttle shared by the receivers."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def peer_address(host: str) -> Address | None:
    """The address of a socket peer as `ipaddress` sees it: an IPv6 zone ("%eth0") is dropped
    and an IPv4-mapped IPv6 address ("::ffff:10.0.0.1") becomes the IPv4 one. None when
    `host` is not an address (e.g. a Unix socket)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def networks(entries: Iterable[str]) -> list[Network]:
    """Addresses or CIDR blocks as networks; ValueError naming the first bad entry."""
    found: list[Network] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            found.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is neither an IP address nor a CIDR block") from None
    return found


def contains(blocks: Iterable[Network], address: Address) -> bool:
    return any(address.version == block.version and address in block for block in blocks)


class AllowList:
    """Senders allowed to talk to a receiver: ``"127.0.0.1/32,10.0.0.0/8,::1"``."""

    def __init__(self, spec: str) -> None:
        self.blocks = networks(spec.split(","))

    def allows(self, host: str) -> bool:
        address = peer_address(host)
        return address is not None and contains(self.blocks, address)


class Throttle:
    """At most one log line per key and interval; counts what was not logged.

    `ready(key, count)` records `count` events of `key`; when a line is due it answers how
    many events happened since the key's last line (these included), else 0."""

    def __init__(
        self,
        interval: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.max_keys = max_keys
        self._last: dict[str, tuple[float, int]] = {}

    def ready(self, key: str, count: int = 1) -> int:
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last[0] < self.interval:
            self._last[key] = (last[0], last[1] + count)
            return 0
        if last is None and len(self._last) >= self.max_keys:
            self._last = {k: v for k, v in self._last.items() if now - v[0] < self.interval}
            if len(self._last) >= self.max_keys:
                return 0  # a flood of distinct keys: stay quiet until they age out
        self._last[key] = (now, 0)
        return count + (last[1] if last is not None else 0)
