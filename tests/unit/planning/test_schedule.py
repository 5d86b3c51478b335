"""The drain schedule (planning/schedule.py): the approach per guest and the stream count."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from vacate.domain.model import GIB, MIB, HostName, Workload
from vacate.domain.prediction import Approach
from vacate.planning.estimate import Network
from vacate.planning.schedule import (
    LinkModel,
    MoveSpec,
    ScheduleLimits,
    choose_approach,
    planned_downtime_limit_s,
    schedule_at,
    schedule_drain,
)

NIC = 3 * GIB
LINK = LinkModel(source_nic_bytes_per_s=NIC, stream_cap_bytes_per_s=1 * GIB)
LIMITS = ScheduleLimits(max_streams=10, max_per_destination=3)


def calm(touched_gib: float = 4.0) -> Workload:
    return Workload(touched_bytes=touched_gib * GIB, dirty_rate=20 * MIB, wss_bytes=200 * MIB)


def hot(touched_gib: float = 4.0) -> Workload:
    return Workload(touched_bytes=touched_gib * GIB, dirty_rate=2 * GIB, wss_bytes=1 * GIB)


def moves(workloads: list[Workload], dests: int = 4) -> list[MoveSpec]:
    return [
        MoveSpec(key=f"vm{n}", dest=HostName(f"d{n % dests}"), dest_nic_bytes_per_s=NIC, workload=w)
        for n, w in enumerate(workloads)
    ]


def net(streams: int) -> Network:
    return Network(source_nic_bytes_per_s=NIC, streams=streams, stream_cap_bytes_per_s=1 * GIB)


def test_a_calm_guest_moves_by_plain_pre_copy() -> None:
    assert choose_approach(calm(), net(3), LINK, LIMITS).approach is Approach.PRE_COPY


def test_a_guest_that_outpaces_its_share_goes_post_copy_or_auto_converge_without_it() -> None:
    choice = choose_approach(hot(), net(3), LINK, LIMITS)
    assert choice.approach is Approach.POST_COPY and "will not converge" in choice.why
    no_pc = ScheduleLimits(max_streams=10, max_per_destination=3, allow_post_copy=False)
    assert choose_approach(hot(), net(3), LINK, no_pc).approach is Approach.AUTO_CONVERGE


def test_post_copy_at_once_sends_every_touched_byte_once() -> None:
    choice = choose_approach(hot(), net(3), LINK, LIMITS)
    assert choice.estimate is not None and choice.estimate.sent_bytes is not None
    assert math.isclose(choice.estimate.sent_bytes, hot().touched_bytes, rel_tol=1e-6)


def test_the_stream_count_fills_the_nic_and_beats_one_at_a_time() -> None:
    plan = schedule_drain(moves([calm() for _ in range(12)]), LINK, LIMITS)
    one = schedule_at(moves([calm() for _ in range(12)]), LINK, LIMITS, 1)
    # Three streams at the cap fill the NIC: fewer cannot, and the schedule finds it.
    assert plan.streams >= 3
    assert plan.makespan_s < one.makespan_s / 2.5
    for streams in range(1, LIMITS.max_streams + 1):
        other = schedule_at(moves([calm() for _ in range(12)]), LINK, LIMITS, streams)
        assert plan.makespan_s <= other.makespan_s * 1.0000001


def test_the_job_limits_are_ceilings_over_the_computed_count() -> None:
    capped = ScheduleLimits(max_streams=2, max_per_destination=3)
    assert schedule_drain(moves([calm() for _ in range(12)]), LINK, capped).streams <= 2


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(min_value=0.5, max_value=16.0), min_size=1, max_size=14),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=3),
)
def test_the_predicted_timeline_keeps_every_limit(
    sizes: list[float], streams: int, per_dest: int
) -> None:
    limits = ScheduleLimits(max_streams=streams, max_per_destination=per_dest)
    plan = schedule_drain(moves([calm(s) for s in sizes], dests=2), LINK, limits)
    spans = [(p.start_s, p.end_s, key) for key, p in plan.predictions.items()]
    assert all(math.isfinite(end) and end > start for start, end, _ in spans)
    for at, _, _ in spans:  # at every start: how many run, and how many into each host
        running = [k for s, e, k in spans if s <= at < e - 1e-9]
        assert len(running) <= plan.streams <= streams
        for dest in ("d0", "d1"):
            into = [k for k in running if int(k[2:]) % 2 == int(dest[1])]
            assert len(into) <= per_dest


def test_a_scheduled_pre_copy_gets_the_limit_that_pauses_it_as_long_as_alone() -> None:
    plan = schedule_drain(moves([calm() for _ in range(6)]), LINK, LIMITS)
    limits = {p.downtime_limit_ms for p in plan.predictions.values()}
    assert limits == {planned_downtime_limit_s(LINK) * 1000}
    assert planned_downtime_limit_s(LINK) < LINK.downtime_limit_s
    slow_nic = LinkModel(source_nic_bytes_per_s=GIB / 2, stream_cap_bytes_per_s=GIB)
    assert planned_downtime_limit_s(slow_nic) == slow_nic.downtime_limit_s


def test_max_downtime_holds_the_planned_limit_under_it_less_the_switch_over() -> None:
    capped = LinkModel(
        source_nic_bytes_per_s=NIC, stream_cap_bytes_per_s=1 * GIB, max_downtime_s=0.08
    )
    assert planned_downtime_limit_s(capped) == 0.08 - capped.switchover_s
    roomy = LinkModel(source_nic_bytes_per_s=NIC, stream_cap_bytes_per_s=1 * GIB, max_downtime_s=5)
    assert planned_downtime_limit_s(roomy) == planned_downtime_limit_s(LINK)


def test_without_post_copy_the_first_throttle_is_chosen_where_the_backend_takes_one() -> None:
    no_pc = ScheduleLimits(max_streams=10, max_per_destination=3, allow_post_copy=False)
    fixed = choose_approach(hot(), net(3), LINK, no_pc)
    tunable = LinkModel(
        source_nic_bytes_per_s=NIC, stream_cap_bytes_per_s=1 * GIB, throttle_initial=True
    )
    chosen = choose_approach(hot(), net(3), tunable, no_pc)

    assert fixed.approach is chosen.approach is Approach.AUTO_CONVERGE
    assert fixed.throttle_initial is None  # QEMU's own 20 %: nothing to send
    assert chosen.throttle_initial is not None and chosen.throttle_initial > 0.2
    assert f"throttled from {chosen.throttle_initial:.0%}" in chosen.why
    assert fixed.estimate is not None and chosen.estimate is not None
    assert fixed.estimate.total_s is not None and chosen.estimate.total_s is not None
    assert chosen.estimate.total_s < fixed.estimate.total_s
    assert (chosen.estimate.sent_bytes or 0) < (fixed.estimate.sent_bytes or 0)


def test_a_guest_that_converges_alone_gets_no_throttle_even_where_one_can_be_set() -> None:
    tunable = LinkModel(
        source_nic_bytes_per_s=NIC, stream_cap_bytes_per_s=1 * GIB, throttle_initial=True
    )
    no_pc = ScheduleLimits(max_streams=10, max_per_destination=3, allow_post_copy=False)
    choice = choose_approach(calm(), net(3), tunable, no_pc)
    assert choice.approach is Approach.PRE_COPY and choice.throttle_initial is None
