"""Properties of the schedule functions over generated layers, ranges and zones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.oncall.rotation import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    gaps,
    layer_shifts,
    on_call_at,
    shifts,
)

ZONES = st.sampled_from(
    ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
)
# around 2026's DST changes, to catch them
MOMENTS = st.datetimes(
    min_value=datetime(2026, 3, 1), max_value=datetime(2026, 11, 30), timezones=st.just(UTC)
)
ROTATIONS: st.SearchStrategy[Rotation] = st.one_of(
    st.sampled_from(["daily", "weekly"]), st.integers(min_value=1, max_value=72)
)
TIMES = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
USERS = st.lists(st.sampled_from("abcde"), min_size=1, max_size=4).map(tuple)


@st.composite
def layers(draw: st.DrawFn, restricted: bool = False) -> Layer[str]:
    restrictions: tuple[Restriction, ...] = ()
    if restricted and draw(st.booleans()):
        restrictions = tuple(
            draw(
                st.lists(
                    st.builds(
                        Restriction,
                        st.frozensets(st.integers(0, 6), min_size=1),
                        TIMES,
                        TIMES,
                    ),
                    min_size=1,
                    max_size=2,
                )
            )
        )
    return Layer(
        name=draw(st.sampled_from(["l1", "l2", "l3"])),
        start=draw(MOMENTS),
        rotation=draw(ROTATIONS),
        users=draw(USERS),
        handoff=draw(st.none() | TIMES),
        restrictions=restrictions,
    )


@st.composite
def schedules(draw: st.DrawFn) -> Schedule[str]:
    overrides = []
    for _ in range(draw(st.integers(0, 2))):
        begin = draw(MOMENTS)
        overrides.append(Override("o", begin, begin + timedelta(hours=draw(st.integers(1, 48)))))
    return Schedule(
        draw(ZONES),
        tuple(draw(st.lists(layers(restricted=True), min_size=1, max_size=3))),
        tuple(overrides),
    )


RANGE = st.tuples(MOMENTS, st.integers(min_value=1, max_value=24 * 40))


@settings(max_examples=150, deadline=None)
@given(layer=layers(), zone=ZONES, window=RANGE)
def test_unrestricted_layer_tiles_its_range_with_one_user_at_a_time(
    layer: Layer[str], zone: str, window: tuple[datetime, int]
) -> None:
    start, end = window[0], window[0] + timedelta(hours=window[1])
    found = layer_shifts(layer, zone, start, end)
    begin = max(start, layer.start)
    if begin >= end:
        assert found == []
        return
    assert found[0].start == begin
    assert found[-1].end == end
    for before, after in itertools.pairwise(found):
        assert before.end == after.start
    assert all(s.start < s.end and s.user in layer.users for s in found)


@settings(max_examples=150, deadline=None)
@given(sched=schedules(), window=RANGE)
def test_shifts_and_gaps_tile_the_range_without_overlap(
    sched: Schedule[str], window: tuple[datetime, int]
) -> None:
    start, end = window[0], window[0] + timedelta(hours=window[1])
    pieces = [(s.start, s.end) for s in shifts(sched, start, end)] + gaps(sched, start, end)
    pieces.sort()
    assert pieces[0][0] == start
    assert pieces[-1][1] == end
    for before, after in itertools.pairwise(pieces):
        assert before[1] == after[0]
        assert before[0] < before[1]


@settings(max_examples=150, deadline=None)
@given(sched=schedules(), window=RANGE, offsets=st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_on_call_at_agrees_with_shifts(
    sched: Schedule[str], window: tuple[datetime, int], offsets: list[float]
) -> None:
    start, end = window[0], window[0] + timedelta(hours=window[1])
    found = shifts(sched, start, end)
    probes = [start + (end - start) * f for f in offsets] + [s.start for s in found]
    for moment in probes:
        if not start <= moment < end:
            continue
        expected = [s.user for s in found if s.start <= moment < s.end]
        assert on_call_at(sched, moment) == expected


@settings(max_examples=100, deadline=None)
@given(sched=schedules(), window=RANGE, cut=st.floats(0.01, 0.99))
def test_splitting_the_range_changes_nobody(
    sched: Schedule[str], window: tuple[datetime, int], cut: float
) -> None:
    start, end = window[0], window[0] + timedelta(hours=window[1])
    middle = start + (end - start) * cut
    whole = [(s.user, s.start, s.end) for s in shifts(sched, start, end)]
    halves = shifts(sched, start, middle) + shifts(sched, middle, end)
    joined: list[tuple[str, datetime, datetime]] = []
    for s in halves:
        if joined and joined[-1][0] == s.user and joined[-1][2] == s.start:
            joined[-1] = (s.user, joined[-1][1], s.end)
        else:
            joined.append((s.user, s.start, s.end))
    merged: list[tuple[str, datetime, datetime]] = []
    for user, begin, finish in whole:
        if merged and merged[-1][0] == user and merged[-1][2] == begin:
            merged[-1] = (user, merged[-1][1], finish)
        else:
            merged.append((user, begin, finish))
    assert joined == merged
