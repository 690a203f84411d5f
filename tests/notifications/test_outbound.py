"""The outbound guard: which URLs and addresses notifications may reach."""

from __future__ import annotations

import ipaddress
import re

import pytest

from tocsin.notifications.outbound import HostUnresolved, OutboundPolicy, OutboundRefused


def answers(*addresses: str) -> OutboundPolicy:
    """A policy whose resolver answers `addresses` for every name (what DNS would say)."""
    return OutboundPolicy("", resolve=lambda host, port: list(addresses))


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("10.0.0.5", "a private address"),
        ("172.16.3.4", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.1.1", "a private address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.254", "a carrier-grade NAT address"),
        ("fc00::1", "a unique-local address"),
        ("fd12:3456::1", "a unique-local address"),
        ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("192.0.2.10", "not a public address"),
        ("::ffff:127.0.0.1", "an IPv6 form of 127.0.0.1, a loopback address"),
        ("::ffff:7f00:1", "an IPv6 form of 127.0.0.1, a loopback address"),
        ("::ffff:10.1.2.3", "an IPv6 form of 10.1.2.3, a private address"),
        ("::ffff:169.254.169.254", "an IPv6 form of 169.254.169.254, a link-local address"),
        ("::127.0.0.1", "an IPv6 form of 127.0.0.1, a loopback address"),
        ("64:ff9b::a00:5", "an IPv6 form of 10.0.0.5, a private address"),
        ("64:ff9b::7f00:1", "an IPv6 form of 127.0.0.1, a loopback address"),
        ("2002:c0a8:0101::1", "an IPv6 form of 192.168.1.1, a private address"),
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused_with_the_reason(
    address: str, reason: str
) -> None:
    with pytest.raises(OutboundRefused) as refused:
        answers(address).check_url("https://hooks.example/in")
    shown = ipaddress.ip_address(address)
    assert refused.value.sentence == (
        f"hooks.example resolves to {shown}, {reason}; "
        "outbound requests there are refused unless TOCSIN_OUTBOUND_ALLOW lists it"
    )


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.215.14"]
)
def test_a_name_resolving_to_public_addresses_passes(address: str) -> None:
    answers(address).check_url("https://hooks.example/in")


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(OutboundRefused, match=re.escape("10.0.0.5, a private address")):
        answers("93.184.215.14", "10.0.0.5").check_url("https://hooks.example/in")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8080/x", "127.0.0.1 is a loopback address"),
        ("http://[::1]/x", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/x", "is an IPv6 form of 127.0.0.1, a loopback address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
    ],
)
def test_literal_addresses_in_the_url_are_checked(url: str, shown: str) -> None:
    with pytest.raises(OutboundRefused, match=re.escape(shown)):
        answers("93.184.215.14").check_url(url)


def test_localhost_resolves_to_loopback_and_is_refused() -> None:
    with pytest.raises(
        OutboundRefused, match=r"^localhost resolves to (127\.0\.0\.1|::1), a loopback"
    ):
        OutboundPolicy("").check_url("http://localhost:9000/hook")


def test_decimal_and_hex_spellings_of_loopback_are_refused() -> None:
    # getaddrinfo reads these old spellings as 127.0.0.1.
    for url in ("http://2130706433/", "http://0x7f.1/"):
        with pytest.raises(OutboundRefused, match=re.escape("127.0.0.1, a loopback address")):
            OutboundPolicy("").check_url(url)


@pytest.mark.parametrize(
    "url",
    ["ftp://hooks.example/x", "file:///etc/passwd", "gopher://x/", "hooks.example/x", "http://"],
)
def test_only_http_and_https_urls_with_a_host(url: str) -> None:
    with pytest.raises(OutboundRefused):
        answers("93.184.215.14").check_url(url)


def test_allowed_by_host_name_whatever_it_resolves_to() -> None:
    policy = OutboundPolicy("hooks.internal, other.example", resolve=lambda h, p: ["10.0.0.5"])
    policy.check_url("https://HOOKS.internal./in")
    with pytest.raises(OutboundRefused):
        policy.check_url("https://third.example/in")


def test_allowed_by_cidr_and_by_single_address() -> None:
    policy = OutboundPolicy("10.20.0.0/16,127.0.0.1,fd00::/8", resolve=lambda h, p: [h])
    policy.check_url("http://10.20.3.4/")
    policy.check_url("http://127.0.0.1:8025/")
    policy.check_url("http://[fd00::7]/")
    # The IPv4-mapped form of an allowed IPv4 address is the same host.
    policy.check_url("http://[::ffff:10.20.3.4]/")
    with pytest.raises(OutboundRefused, match=re.escape("10.21.0.1 is a private address")):
        policy.check_url("http://10.21.0.1/")
    with pytest.raises(OutboundRefused, match=re.escape("127.0.0.2 is a loopback address")):
        policy.check_url("http://127.0.0.2/")


def test_a_name_that_does_not_resolve() -> None:
    with pytest.raises(HostUnresolved, match=re.escape("no-such-host.invalid does not resolve")):
        OutboundPolicy("").check_url("https://no-such-host.invalid/hook")


def test_check_address_guards_the_address_actually_connected_to() -> None:
    policy = OutboundPolicy("")
    policy.check_address("hooks.example", "93.184.215.14")
    with pytest.raises(OutboundRefused, match=re.escape("hooks.example resolves to 10.9.8.7")):
        policy.check_address("hooks.example", "10.9.8.7")
