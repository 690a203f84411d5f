"""Where a request came from, as the rate limits count it (pure)."""

from __future__ import annotations

import ipaddress

from tocsin.core.bounded import clip

# One IPv6 host is usually given a whole /64: counting single addresses there would let
# one machine present billions of "sources".
_IPV6_PREFIX = 64


def source_key(address: str) -> str:
    """An IPv4 address as is, an IPv6 address as its /64 (an IPv4-mapped one as the IPv4
    address), anything else (a test client's name, a Unix socket) clipped as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return clip(address, 100).text
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, _IPV6_PREFIX), strict=False))
    return str(ip)
