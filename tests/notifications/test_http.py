"""Guarded HTTP against a real server on 127.0.0.1: how each answer becomes an Outcome."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import pytest

from tocsin.core.clock import FrozenClock
from tocsin.notifications.channels.base import Delivered, Failed, Gone, Retry
from tocsin.notifications.channels.http import GuardedHttp
from tocsin.notifications.outbound import OutboundPolicy

from .conftest import LOCAL, Receiver, Reply, free_port


@pytest.fixture
def http(clock: FrozenClock) -> Iterator[GuardedHttp]:
    guarded = GuardedHttp(OutboundPolicy(LOCAL), clock=clock, timeout_seconds=0.5)
    yield guarded
    guarded.close()


def post(http: GuardedHttp, receiver: Receiver, path: str = "/hook") -> object:
    return http.post(receiver.url(path), body=b'{"a":1}', headers={"content-type": "x/y"})


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_delivered(http: GuardedHttp, receiver: Receiver, status: int) -> None:
    receiver.replies["/hook"] = Reply(status, body=b"" if status == 204 else b"ok")
    assert post(http, receiver) == Delivered(f"{LOCAL} answered HTTP {status}")
    got = receiver.only()
    assert (got.method, got.body, got.headers["content-type"]) == ("POST", b'{"a":1}', "x/y")


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_5xx_and_408_are_retried(http: GuardedHttp, receiver: Receiver, status: int) -> None:
    receiver.replies["/hook"] = Reply(status, body=b"  busy\n  now ")
    assert post(http, receiver) == Retry(f"{LOCAL} answered HTTP {status}: busy now")


def test_429_honours_retry_after_in_seconds(http: GuardedHttp, receiver: Receiver) -> None:
    receiver.replies["/hook"] = Reply(429, {"Retry-After": "120"}, b"slow down")
    outcome = post(http, receiver)
    assert outcome == Retry(f"{LOCAL} answered HTTP 429: slow down", after_seconds=120.0)


def test_429_honours_retry_after_as_an_http_date(
    http: GuardedHttp, receiver: Receiver, clock: FrozenClock
) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=90), usegmt=True)
    receiver.replies["/hook"] = Reply(429, {"Retry-After": when}, b"")
    outcome = post(http, receiver)
    assert isinstance(outcome, Retry)
    assert outcome.after_seconds == 90.0


def test_503_with_an_unreadable_retry_after_leaves_the_delay_to_the_sender(
    http: GuardedHttp, receiver: Receiver
) -> None:
    receiver.replies["/hook"] = Reply(503, {"Retry-After": "soon"}, b"")
    assert post(http, receiver) == Retry(f"{LOCAL} answered HTTP 503", after_seconds=None)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_other_4xx_fail_with_an_excerpt(http: GuardedHttp, receiver: Receiver, status: int) -> None:
    receiver.replies["/hook"] = Reply(status, body=b"x" * 5000)
    outcome = post(http, receiver)
    assert isinstance(outcome, Failed)
    assert outcome.reason.startswith(f"{LOCAL} answered HTTP {status}: xxx")
    assert len(outcome.reason) < 260


def test_410_is_gone(http: GuardedHttp, receiver: Receiver) -> None:
    receiver.replies["/hook"] = Reply(410, body=b"channel archived")
    assert post(http, receiver) == Gone(f"{LOCAL} answered HTTP 410 (Gone): channel archived")


@pytest.mark.parametrize("status", [307, 308])
def test_a_redirect_to_an_allowed_host_is_followed_with_the_same_post(
    http: GuardedHttp, receiver: Receiver, status: int
) -> None:
    receiver.replies["/hook"] = Reply(status, {"Location": "/moved"})
    assert post(http, receiver) == Delivered(f"{LOCAL} answered HTTP 200")
    _first, second = receiver.received
    assert (second.method, second.path, second.body) == ("POST", "/moved", b'{"a":1}')


def test_a_303_is_followed_with_a_get(http: GuardedHttp, receiver: Receiver) -> None:
    receiver.replies["/hook"] = Reply(303, {"Location": receiver.url("/done")})
    assert isinstance(post(http, receiver), Delivered)
    assert [(r.method, r.path) for r in receiver.received] == [("POST", "/hook"), ("GET", "/done")]


def test_a_redirect_to_a_refused_address_fails_without_following_it(
    http: GuardedHttp, receiver: Receiver
) -> None:
    receiver.replies["/hook"] = Reply(302, {"Location": "http://169.254.169.254/latest/meta-data"})
    outcome = post(http, receiver)
    assert outcome == Failed(
        "redirected to http://169.254.169.254/latest/meta-data: 169.254.169.254 is a "
        "link-local address; outbound requests there are refused unless "
        "TOCSIN_OUTBOUND_ALLOW lists it"
    )
    assert len(receiver.received) == 1


def test_more_than_five_redirects_fail(http: GuardedHttp, receiver: Receiver) -> None:
    for n in range(7):
        receiver.replies[f"/r{n}"] = Reply(307, {"Location": f"/r{n + 1}"})
    outcome = post(http, receiver, "/r0")
    assert outcome == Failed(f"more than 5 redirects, the last to {receiver.url('/r6')}")
    assert len(receiver.received) == 6


def test_authorization_is_not_carried_to_another_origin(
    http: GuardedHttp, receiver: Receiver
) -> None:
    other = Receiver()
    try:
        receiver.replies["/hook"] = Reply(307, {"Location": other.url("/elsewhere")})
        headers = {"authorization": "Bearer secret-token"}
        assert isinstance(http.post(receiver.url("/hook"), body=b"x", headers=headers), Delivered)
        assert receiver.only().headers["authorization"] == "Bearer secret-token"
        assert "authorization" not in other.only().headers
    finally:
        other.stop()


def test_a_timeout_is_retried(http: GuardedHttp, receiver: Receiver) -> None:
    receiver.replies["/hook"] = Reply(hold=True)
    assert post(http, receiver) == Retry(f"{LOCAL} did not answer within 0.5 s")


def test_connection_refused_is_retried(http: GuardedHttp) -> None:
    outcome = http.post(f"http://{LOCAL}:{free_port()}/hook", body=b"x", headers={})
    assert isinstance(outcome, Retry)
    assert outcome.reason.startswith(f"could not reach {LOCAL}: ")


def test_a_refused_url_fails_before_any_connection(clock: FrozenClock, receiver: Receiver) -> None:
    guarded = GuardedHttp(OutboundPolicy(""), clock=clock)
    try:
        outcome = guarded.post(receiver.url("/hook"), body=b"x", headers={})
    finally:
        guarded.close()
    assert outcome == Failed(
        f"{LOCAL} is a loopback address; outbound requests there are refused unless "
        "TOCSIN_OUTBOUND_ALLOW lists it"
    )
    assert receiver.received == []


def test_a_name_that_resolves_elsewhere_at_connect_time_is_refused(
    clock: FrozenClock, receiver: Receiver
) -> None:
    """DNS rebinding: the check sees an allowed address, the next lookup a refused one;
    the connection goes only where a checked answer points."""
    answers = itertools.chain([LOCAL], itertools.repeat("127.0.0.2"))
    policy = OutboundPolicy(LOCAL, resolve=lambda host, port: [next(answers)])
    guarded = GuardedHttp(policy, clock=clock)
    try:
        outcome = guarded.post(f"http://rebind.example:{receiver.port}/hook", body=b"x", headers={})
    finally:
        guarded.close()
    assert outcome == Failed(
        "rebind.example resolves to 127.0.0.2, a loopback address; outbound requests there "
        "are refused unless TOCSIN_OUTBOUND_ALLOW lists it"
    )
    assert receiver.received == []


def test_a_name_allowed_by_the_guard_is_connected_to(
    clock: FrozenClock, receiver: Receiver
) -> None:
    policy = OutboundPolicy(LOCAL, resolve=lambda host, port: [LOCAL])
    guarded = GuardedHttp(policy, clock=clock)
    try:
        outcome = guarded.post(f"http://hooks.example:{receiver.port}/hook", body=b"x", headers={})
    finally:
        guarded.close()
    assert outcome == Delivered("hooks.example answered HTTP 200")
    assert receiver.only().headers["host"] == f"hooks.example:{receiver.port}"


class _ChecksOnlyReplies(OutboundPolicy):
    """Lets every connection through unchecked: stands in for a transport that connected
    somewhere the guard did not look at; only the reply's address is checked."""

    def check_url(self, url: str) -> None:
        pass

    def addresses(self, host: str, port: int) -> list[str]:
        return [host]


def test_a_reply_from_an_unchecked_address_is_not_trusted(
    clock: FrozenClock, receiver: Receiver
) -> None:
    guarded = GuardedHttp(_ChecksOnlyReplies(""), clock=clock)
    try:
        outcome = guarded.post(receiver.url("/hook"), body=b"x", headers={})
    finally:
        guarded.close()
    assert outcome == Failed(
        f"the reply came from a refused address: {LOCAL} is a loopback address; outbound "
        "requests there are refused unless TOCSIN_OUTBOUND_ALLOW lists it"
    )
