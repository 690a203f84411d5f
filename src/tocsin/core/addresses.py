"""Where a request came from, as the rate limits count it (pure)."""

from __future__ import annotations

import hashlib
import ipaddress

# One IPv6 host is usually given a whole /64: counting single addresses there would let
# one machine present billions of "sources".
_IPV6_PREFIX = 64


# Longer names than this (no address is) are counted by their digest, so that a key has a
# bounded length and two long names never count as one.
_NAME_LIMIT = 64


def source_key(address: str) -> str:
    """An IPv4 address as is, an IPv6 address as its /64 (an IPv4-mapped one as the IPv4
    address), anything else (a test client's name, a Unix socket) as given, or its
    SHA-256 when longer than 64 characters."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        if len(address) <= _NAME_LIMIT:
            return address
        return hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, _IPV6_PREFIX), strict=False))
    return str(ip)
