"""The live-migration time model and the drain lower bound against hand computations."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vacate.domain.model import GIB, MIB, Workload
from vacate.planning.estimate import (
    AutoConverge,
    Controls,
    Network,
    drain_lower_bound,
    estimate_live,
    live_migration_seconds,
)

B = 100 * MIB  # bytes/s: threshold at 300 ms is 30 MiB


def test_geometric_series_matches_a_hand_computation() -> None:
    # 1000 MiB touched, dirtying 50 MiB/s at 100 MiB/s: each pass halves.
    # passes: 1000, 500, 250, 125, 62.5, 31.25, 15.625 (≤ 30: stop and copy)
    w = Workload(touched_bytes=1000 * MIB, dirty_rate=50 * MIB, wss_bytes=4 * GIB)
    sent_mib = 1000 + 500 + 250 + 125 + 62.5 + 31.25 + 15.625
    assert live_migration_seconds(w, B) == pytest.approx(5.0 + sent_mib / 100)


def test_the_working_set_caps_what_a_pass_can_dirty() -> None:
    # passes: 2000, min(20, 1000)=20 ≤ 30 → stop.
    w = Workload(touched_bytes=2000 * MIB, dirty_rate=50 * MIB, wss_bytes=20 * MIB)
    assert live_migration_seconds(w, B, setup_s=0) == pytest.approx(2020 / 100)


def test_an_idle_guest_costs_its_touched_memory_plus_setup() -> None:
    w = Workload(touched_bytes=116 * MIB, dirty_rate=0, wss_bytes=0)
    assert live_migration_seconds(w, B) == pytest.approx(5.0 + 1.16)


def test_a_higher_downtime_limit_stops_earlier() -> None:
    w = Workload(touched_bytes=1000 * MIB, dirty_rate=50 * MIB, wss_bytes=4 * GIB)
    # at 1 s the threshold is 100 MiB: passes 1000, 500, 250, 125, 62.5
    expected = 5.0 + (1000 + 500 + 250 + 125 + 62.5) / 100
    assert live_migration_seconds(w, B, downtime_limit_s=1.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    "workload",
    [
        pytest.param(
            Workload(touched_bytes=512 * MIB, dirty_rate=200 * MIB, wss_bytes=254 * MIB),
            id="a hot guest dirtying faster than the link never converges",
        ),
        pytest.param(
            Workload(touched_bytes=512 * MIB, dirty_rate=100 * MIB, wss_bytes=1 * GIB),
            id="a dirty rate equal to the bandwidth never converges",
        ),
    ],
)
def test_non_convergence_is_none(workload: Workload) -> None:
    assert live_migration_seconds(workload, B) is None


def test_a_fast_dirtier_with_a_tiny_working_set_still_converges() -> None:
    w = Workload(touched_bytes=512 * MIB, dirty_rate=400 * MIB, wss_bytes=10 * MIB)
    assert live_migration_seconds(w, B, setup_s=0) == pytest.approx(522 / 100)


def test_bandwidth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        live_migration_seconds(Workload(touched_bytes=1, dirty_rate=0, wss_bytes=0), 0)


@pytest.mark.parametrize(
    ("touched_gib", "nic", "stream", "expected"),
    [
        pytest.param([1, 1, 1, 1], 2.0, 1.0, 2.0, id="many small guests are bound by the nic"),
        pytest.param([8, 1], 10.0, 1.0, 8.0, id="one big guest is bound by one stream"),
        pytest.param([4], 1.0, 2.0, 4.0, id="a stream cannot go faster than the nic"),
        pytest.param([], 1.0, 1.0, 0.0, id="an empty host drains in no time"),
    ],
)
def test_drain_lower_bound(
    touched_gib: list[float], nic: float, stream: float, expected: float
) -> None:
    workloads = [Workload(touched_bytes=t * GIB, dirty_rate=0, wss_bytes=0) for t in touched_gib]
    assert drain_lower_bound(workloads, nic * GIB, stream * GIB) == pytest.approx(expected)


# -- sharing, auto-converge, post-copy and pause ---------------------------------------------

G = 1.0 * GIB  # bytes/s: one stream's fair share below


@pytest.mark.parametrize(
    ("streams", "cap", "share", "uncapped"),
    [
        pytest.param(4, 2.0, 2.0, 10 - 3 * 2.0, id="capped streams leave the rest to a free one"),
        pytest.param(4, 3.0, 2.5, 2.5, id="streams over the nic's share all get the share"),
        pytest.param(1, 3.0, 3.0, 10.0, id="a lone stream is held to its cap, a free one is not"),
    ],
)
def test_the_fair_share_of_the_source_nic(
    streams: int, cap: float, share: float, uncapped: float
) -> None:
    net = Network(source_nic_bytes_per_s=10.0, streams=streams, stream_cap_bytes_per_s=cap)
    assert net.fair_share_bytes_per_s == pytest.approx(share)
    assert net.uncapped_bytes_per_s() == pytest.approx(uncapped)


def test_streams_sharing_the_nic_slow_every_pass() -> None:
    w = Workload(touched_bytes=1000 * MIB, dirty_rate=25 * MIB, wss_bytes=4 * GIB)
    # At 200 MiB/s shared by two: 100 MiB/s each, passes 1000, 250, 62.5, 15.625 (<= 30).
    expected = 5.0 + (1000 + 250 + 62.5 + 15.625) / 100
    assert live_migration_seconds(w, 2 * B, streams=2) == pytest.approx(expected)


def test_auto_converge_throttles_every_second_high_pass_until_it_converges() -> None:
    w = Workload(touched_bytes=1 * GIB, dirty_rate=1.2 * G, wss_bytes=1 * GIB)
    # Passes of 1 GiB at 1 GiB/s, dirtying min(W, D_eff × duration): 1, 1 (throttle 20 %:
    # D_eff = 1.2 × 0.8 × 0.8), 0.768, 0.589824 (throttle 30 %: D_eff = 1.2 × 0.7 × 0.8), then
    # 0.396362 and 0.266355, which fits the 0.3 GiB budget (that pass's count makes it 40 %).
    d2, d3 = 1.2 * 0.8 * 0.8, 1.2 * 0.7 * 0.8
    passes = [1.0, 1.0, 1.0, d2, d2 * d2]
    last = passes[-1] * d3
    final = last * d3
    passes.append(last)
    e = estimate_live(
        w,
        Network(source_nic_bytes_per_s=G),
        Controls(setup_s=0.0, switchover_s=0.0, auto_converge=AutoConverge()),
    )
    assert e.throttle == pytest.approx(0.4)
    assert e.sent_bytes == pytest.approx((sum(passes) + final) * GIB)
    assert e.total_s == pytest.approx(sum(passes) + final)
    assert e.downtime_s == pytest.approx(final)


def test_a_hot_guest_that_never_converges_does_with_post_copy_at_its_first_byte() -> None:
    hot = Workload(touched_bytes=4 * GIB, dirty_rate=2 * G, wss_bytes=1 * GIB)
    net = Network(source_nic_bytes_per_s=4 * G, stream_cap_bytes_per_s=G)
    assert not estimate_live(hot, net).converges
    e = estimate_live(hot, net, Controls(post_copy_after_s=0.0))
    # Everything is pulled, at the uncapped 4 GiB/s.
    assert e.total_s == pytest.approx(5.0 + 0.2 + 4 / 4)
    assert e.sent_bytes == pytest.approx(4 * GIB)
    assert e.downtime_s == pytest.approx(0.05)


def test_post_copy_mid_pass_pulls_the_union_not_the_sum() -> None:
    w = Workload(touched_bytes=2 * GIB, dirty_rate=0.5 * G, wss_bytes=1 * GIB)
    net = Network(source_nic_bytes_per_s=G, postcopy_bandwidth_bytes_per_s=0.5 * G)
    # Pass 0 (2 s) dirties the whole working set; 0.5 s into pass 1, 0.5 GiB is unsent and
    # 0.25 GiB dirtied again: the union is 0.5 + 0.25 − 0.5 × 0.25 GiB, pulled at 0.5 GiB/s.
    union = 0.5 + 0.25 - 0.5 * 0.25
    e = estimate_live(w, net, Controls(post_copy_after_s=2.5))
    assert e.sent_bytes == pytest.approx((2.5 + union) * GIB)
    assert e.total_s == pytest.approx(5.0 + 2.5 + 0.2 + union / 0.5)


def test_pausing_costs_the_pending_set_over_the_bandwidth_as_downtime() -> None:
    w = Workload(touched_bytes=2 * GIB, dirty_rate=0.5 * G, wss_bytes=1 * GIB)
    e = estimate_live(w, Network(source_nic_bytes_per_s=G), Controls(pause_after_s=2.5))
    union = 0.5 + 0.25 - 0.5 * 0.25
    # The 0.5 GiB unsent go, then the 0.125 GiB dirtied after being sent: under the budget.
    assert e.downtime_s == pytest.approx(union + 0.05)
    assert e.total_s == pytest.approx(5.0 + 2.5 + union + 0.05)
    assert e.sent_bytes == pytest.approx((2.5 + union) * GIB)


def test_a_stuck_guest_is_walked_quickly_to_a_late_switch() -> None:
    hot = Workload(touched_bytes=1 * GIB, dirty_rate=4 * G, wss_bytes=1 * GIB)
    # Every pass is the working set (1 s); at 3600.5 s half of one is unsent, all dirtied.
    e = estimate_live(hot, Network(source_nic_bytes_per_s=G), Controls(post_copy_after_s=3600.5))
    assert e.passes == 3600
    assert e.total_s == pytest.approx(5.0 + 3600.5 + 0.2 + 1.0)
    assert e.sent_bytes == pytest.approx((3600.5 + 1.0) * GIB)


def test_the_drain_bound_counts_one_setup_before_the_first_byte() -> None:
    workloads = [Workload(touched_bytes=GIB, dirty_rate=0, wss_bytes=0)] * 2
    assert drain_lower_bound(workloads, GIB, GIB, setup_s=5.0) == pytest.approx(5.0 + 2.0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(64, 16384),  # touched MiB
            st.floats(0, 2000),  # dirty MiB/s
            st.floats(16, 8192),  # working set MiB
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([10, 25, 100]),  # NIC Gbit
    st.integers(1, 12),  # streams at once
)
def test_the_drain_bound_is_never_above_a_schedule_the_model_can_run(
    guests: list[tuple[float, float, float]], nic_gbit: int, streams: int
) -> None:
    nic, cap = nic_gbit * 1e9 / 8, 1.1 * GIB
    workloads = [
        Workload(touched_bytes=t * MIB, dirty_rate=d * MIB, wss_bytes=s * MIB) for t, d, s in guests
    ]
    bound = drain_lower_bound(workloads, nic, cap, setup_s=5.0)
    # ``streams`` at a time, each at its fair share, in waves: never faster than the bound.
    network = Network(source_nic_bytes_per_s=nic, streams=streams, stream_cap_bytes_per_s=cap)
    runs = [estimate_live(w, network, Controls(post_copy_after_s=30.0)) for w in workloads]
    assert all(r.total_s is not None for r in runs)
    waves = [runs[i : i + streams] for i in range(0, len(runs), streams)]
    makespan = sum(max(r.total_s or 0.0 for r in wave) for wave in waves)
    assert bound <= makespan * (1 + 1e-9)
