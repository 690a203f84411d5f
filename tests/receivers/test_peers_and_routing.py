"""Pure parts of the receivers: allow list, log throttle, syslog routing."""

from __future__ import annotations

import ipaddress

import pytest

from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.schemas import IntegrationConfig
from tocsin.receivers.peers import AllowList, Throttle, peer_address
from tocsin.receivers.syslog_routing import SyslogRoutes, choose, route_of


def ref(id: int, sources: object = None) -> IntegrationRef:
    parser = {} if sources is None else {"sources": sources}
    return IntegrationRef(
        id=id,
        type="syslog",
        name=f"i{id}",
        customer_id=1,
        customer_slug="default",
        service_id=None,
        service_slug=None,
        team_id=None,
        team_slug=None,
        config=IntegrationConfig(parser=parser),
        enabled=True,
    )


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("::ffff:10.1.2.3", True),  # IPv4 on a dual-stack socket
        ("fe80::1%eth0", True),
        ("127.0.0.2", False),
        ("11.0.0.1", False),
        ("::1", False),
        ("", False),
        ("not-an-address", False),
    ],
)
def test_allow_list(host: str, allowed: bool) -> None:
    allow = AllowList("127.0.0.1/32, 10.0.0.0/8,fe80::/10,")
    assert allow.allows(host) is allowed


def test_allow_list_names_a_bad_entry() -> None:
    with pytest.raises(ValueError, match="'localhost' is neither an IP address nor a CIDR"):
        AllowList("127.0.0.1,localhost")


def test_peer_address_unwraps_mapped_ipv4() -> None:
    assert peer_address("::ffff:192.0.2.1") == ip("192.0.2.1")


def test_throttle_logs_once_per_interval_with_the_count() -> None:
    now = [0.0]
    throttle = Throttle(60.0, clock=lambda: now[0])
    assert throttle.ready("a") == 1
    assert throttle.ready("a") == 0
    assert throttle.ready("a", 3) == 0
    assert throttle.ready("b") == 1  # per key
    now[0] = 59.9
    assert throttle.ready("a") == 0
    now[0] = 60.0
    assert throttle.ready("a") == 6  # everything since the last line, this one included
    assert throttle.ready("a") == 0


def test_throttle_stays_bounded_under_a_flood_of_keys() -> None:
    now = [0.0]
    throttle = Throttle(60.0, clock=lambda: now[0], max_keys=2)
    assert [throttle.ready(k) for k in "abc"] == [1, 1, 0]
    now[0] = 61.0
    assert throttle.ready("c") == 1  # the old keys aged out


def test_routing_prefers_matching_sources_then_the_first_catch_all() -> None:
    routes = [
        route_of(ref(1, ["10.0.0.0/8"])),
        route_of(ref(2)),
        route_of(ref(3, "192.0.2.0/24, 127.0.0.0/8")),
        route_of(ref(4)),
        route_of(ref(5, ["127.0.0.1"])),
    ]
    assert choose(routes, ip("127.0.0.1")).id == 3  # type: ignore[union-attr]
    assert choose(routes, ip("10.9.9.9")).id == 1  # type: ignore[union-attr]
    assert choose(routes, ip("203.0.113.9")).id == 2  # type: ignore[union-attr]
    assert choose(routes[:1], ip("203.0.113.9")) is None


def test_invalid_sources_match_nobody() -> None:
    broken = route_of(ref(1, ["nope", 42]))
    assert broken.sources == []
    assert choose([broken], ip("127.0.0.1")) is None
    assert route_of(ref(2, [])).sources is None  # empty: any sender


def test_routes_are_cached() -> None:
    now = [0.0]
    loads: list[int] = []

    def load() -> list[IntegrationRef]:
        loads.append(1)
        return [ref(1)]

    routes = SyslogRoutes(load, ttl=10.0, clock=lambda: now[0])
    assert routes.cached() is None
    assert routes.load()[0].integration.id == 1
    assert routes.cached() is not None
    routes.load()
    assert len(loads) == 1
    now[0] = 10.0
    assert routes.cached() is None
    routes.load()
    assert len(loads) == 2
