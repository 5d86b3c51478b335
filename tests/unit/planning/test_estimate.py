"""The live-migration time model and the drain lower bound against hand computations."""

from __future__ import annotations

import pytest

from vacate.domain.model import GIB, MIB, Workload
from vacate.planning.estimate import drain_lower_bound, live_migration_seconds

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
