"""The outbound address guard: notifications reach public addresses only, unless allowed.

A webhook or chat URL is typed by a person; without this guard it could make Tocsin
POST to its own admin ports, a cloud metadata service (169.254.169.254) or anything on
the internal network. Every address a host name resolves to is checked, IPv6 forms that
carry an IPv4 address inside are unwrapped, and the connection itself is made to a
checked address (see notifications/http.py) so a name that resolves differently the
second time (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

_HINT = "outbound requests there are refused unless TOCSIN_OUTBOUND_ALLOW lists it"
_PRIVATE_V4 = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")


class OutboundRefused(Exception):
    """The guard refused a URL or an address; the message is a sentence for a person."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class HostUnresolved(Exception):
    """The host name did not resolve (it may be a typo, or DNS may be down for a while)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, as the operating system answers (getaddrinfo)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise HostUnresolved(f"{host} does not resolve to an address ({error})") from error
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]).split("%", 1)[0], None)
    return list(seen)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, translated, compatible, NAT64, 6to4)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _TRANSLATED or any(ip in net for net in _NAT64):
        return low32
    # ::a.b.c.d (deprecated "IPv4-compatible"); :: and ::1 are themselves, not IPv4.
    if ip in _COMPATIBLE and int(ip) > 1:
        return low32
    return None


def why_not_public(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address ("a loopback address"), or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            reason = why_not_public(inner)
            return None if reason is None else f"an IPv6 form of {inner}, {reason}"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a carrier-grade NAT address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL, "a unique-local address"),
        (isinstance(ip, ipaddress.IPv4Address) and any(ip in n for n in _PRIVATE_V4),
         "a private address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, "a site-local address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )  # fmt: skip
    return next((reason for refused, reason in checks if refused), None)


class OutboundPolicy:
    """Which hosts and addresses outbound requests may reach.

    `allow` is TOCSIN_OUTBOUND_ALLOW: comma-separated host names (matched exactly,
    case-insensitively) and addresses or CIDR blocks. `resolve` answers the addresses of
    a host name; tests give one that answers what they need."""

    def __init__(self, allow: str = "", *, resolve: Resolver = system_resolver) -> None:
        self._names: set[str] = set()
        self._networks: list[IPNetwork] = []
        for raw in allow.split(","):
            entry = raw.strip()
            if not entry:
                continue
            try:
                self._networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self._names.add(_normal_host(entry))
        self._resolve = resolve

    def check_url(self, url: str) -> None:
        """Raise OutboundRefused unless `url` is http(s) to an allowed or public host;
        HostUnresolved when its host name does not resolve."""
        host, port = split_url(url)
        self.addresses(host, port)

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses of `host` the guard lets a connection go to (all of them, or
        OutboundRefused naming the first one that is not allowed)."""
        name = _normal_host(host)
        literal = _as_ip(name)
        found = [str(literal)] if literal is not None else list(self._resolve(name, port))
        if not found:
            raise HostUnresolved(f"{host} does not resolve to an address")
        if name in self._names:
            return found
        for address in found:
            self.check_address(host, address)
        return found

    def check_address(self, host: str, address: str) -> None:
        """Raise OutboundRefused unless `address` (which `host` led to) may be reached."""
        if _normal_host(host) in self._names:
            return
        ip = _as_ip(address)
        if ip is None:
            raise OutboundRefused(f"{host} led to {address!r}, which is not an IP address")
        if self._allowed(ip):
            return
        reason = why_not_public(ip)
        if reason is None:
            return
        if _as_ip(_normal_host(host)) == ip:
            raise OutboundRefused(f"{ip} is {reason}; {_HINT}")
        raise OutboundRefused(f"{host} resolves to {ip}, {reason}; {_HINT}")

    def _allowed(self, ip: IPAddress) -> bool:
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address) and (inner := embedded_ipv4(ip)) is not None:
            candidates.append(inner)
        return any(
            c in net for c in candidates for net in self._networks if c.version == net.version
        )


def split_url(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL, or OutboundRefused saying what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise OutboundRefused(f"{url!r} is not a valid URL ({error})") from error
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(f"{url!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise OutboundRefused(f"{url!r} names no host")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _as_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
