"""The planner's estimate against the simulator, on the same inputs (DESIGN §5).

The estimate walks the passes of one migration at a constant fair share; the simulator moves
every migration event by event through max-min sharing. Where the planner relies on the
estimate — method, concurrency, convergence — the two must agree within 10 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from vacate.clouds.sim import transfer as tr
from vacate.clouds.sim.params import ModelParams
from vacate.domain.model import GIB, MIB, Workload
from vacate.planning.estimate import AutoConverge, Controls, Network, estimate_live
from vacate.ports.cloud import MigrationStatus

from .test_qemu_cases import CASES as QEMU_CASES
from .test_qemu_cases import converging, run_to_completion

TOLERANCE = 0.10
GBIT = 1e9 / 8
P = ModelParams()


@dataclass(frozen=True, kw_only=True)
class Case:
    workload: Workload
    nic: float
    streams: int = 1
    auto_converge: bool = False
    post_copy_after_s: float | None = None
    pause_after_s: float | None = None
    postcopy_bandwidth: float = 0.0


def guest(touched_gib: float, dirty_gib_s: float, wss_gib: float) -> Workload:
    return Workload(
        touched_bytes=touched_gib * GIB, dirty_rate=dirty_gib_s * GIB, wss_bytes=wss_gib * GIB
    )


CALM = guest(6.0, 0.3, 1.0)
BUSY = guest(5.2, 0.49, 1.6)
HOT = guest(12.0, 1.9, 1.0)

CASES = {
    "a calm guest alone on a NIC slower than one stream": Case(
        workload=guest(8.0, 0.35, 8.0), nic=1.0 * GIB
    ),
    "a calm guest on a fast NIC is held to the stream cap": Case(workload=CALM, nic=25 * GBIT),
    "eight calm guests share a 25 Gbit/s NIC": Case(
        workload=guest(4.0, 0.05, 0.4), nic=25 * GBIT, streams=8
    ),
    "four busy guests share a 25 Gbit/s NIC": Case(workload=BUSY, nic=25 * GBIT, streams=4),
    "a hot guest converges by auto-converge": Case(workload=HOT, nic=25 * GBIT, auto_converge=True),
    "two hot guests auto-converge on one NIC": Case(
        workload=HOT, nic=10 * GBIT, streams=2, auto_converge=True
    ),
    "a hot guest switched to post-copy at its first byte": Case(
        workload=HOT, nic=25 * GBIT, post_copy_after_s=0.0
    ),
    "a hot guest switched to post-copy after 20 s": Case(
        workload=HOT, nic=25 * GBIT, post_copy_after_s=20.0
    ),
    "a post-copy pull held to max-postcopy-bandwidth": Case(
        workload=HOT, nic=25 * GBIT, post_copy_after_s=15.0, postcopy_bandwidth=0.25 * GIB
    ),
    "four hot guests switched to post-copy share the NIC": Case(
        workload=HOT, nic=25 * GBIT, streams=4, post_copy_after_s=10.0
    ),
    "a hot guest paused after 30 s": Case(workload=HOT, nic=25 * GBIT, pause_after_s=30.0),
    "a busy guest paused mid-pass": Case(workload=BUSY, nic=2.0 * GIB, pause_after_s=4.0),
}


def params(case: Case) -> ModelParams:
    return ModelParams(postcopy_bandwidth_bytes_per_s=case.postcopy_bandwidth)


def simulate(case: Case, horizon: float = 3600.0) -> list[tr.Transfer]:
    """``case.streams`` copies of the guest leave one source for as many destinations."""
    p = params(case)
    nic = {"src": case.nic} | {f"dst{i}": case.nic for i in range(case.streams)}
    transfers = [
        tr.new_live(
            id=f"m{i}",
            instance_id=f"i{i}",
            source="src",
            dest=f"dst{i}",
            workload=case.workload,
            now=0.0,
            params=p,
        )
        for i in range(case.streams)
    ]
    for t in transfers:
        if case.auto_converge:
            tr.enable_auto_converge(t)
    now = 0.0
    controls = [
        (p.live_setup_s + at, action)
        for at, action in (
            (case.post_copy_after_s, tr.start_post_copy),
            (case.pause_after_s, tr.force_complete),
        )
        if at is not None
    ]
    for at, action in sorted(controls, key=lambda c: c[0]):
        tr.advance(transfers, nic, now, at, p)
        for t in transfers:
            action(t, at)
        now = at
    tr.advance(transfers, nic, now, horizon, p)
    return transfers


def estimate(case: Case) -> tuple[float | None, float | None, float | None]:
    e = estimate_live(
        case.workload,
        Network(
            source_nic_bytes_per_s=case.nic,
            dest_nic_bytes_per_s=case.nic,
            streams=case.streams,
            stream_cap_bytes_per_s=P.stream_cap_bytes_per_s,
            postcopy_bandwidth_bytes_per_s=case.postcopy_bandwidth,
        ),
        Controls(
            auto_converge=AutoConverge() if case.auto_converge else None,
            post_copy_after_s=case.post_copy_after_s,
            pause_after_s=case.pause_after_s,
        ),
    )
    return e.total_s, e.sent_bytes, e.downtime_s


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_estimate_agrees_with_the_simulator(case: Case) -> None:
    total_s, sent, downtime = estimate(case)
    for t in simulate(case):
        assert t.status == MigrationStatus.COMPLETED
        assert total_s == pytest.approx(t.finished_at, rel=TOLERANCE)
        assert sent == pytest.approx(t.bytes_sent, rel=TOLERANCE)
        assert downtime == pytest.approx(t.downtime_s, rel=TOLERANCE)


def test_guests_of_similar_size_sharing_a_nic_agree_at_the_fair_share() -> None:
    workloads = [guest(z, 0.05, 0.4) for z in (5.0, 5.5, 6.0, 6.5)]
    nic = 25 * GBIT
    hosts = {"src": nic} | {f"dst{i}": nic for i in range(len(workloads))}
    transfers = [
        tr.new_live(
            id=f"m{i}",
            instance_id=f"i{i}",
            source="src",
            dest=f"dst{i}",
            workload=w,
            now=0.0,
            params=P,
        )
        for i, w in enumerate(workloads)
    ]
    tr.advance(transfers, hosts, 0.0, 600.0, P)
    network = Network(
        source_nic_bytes_per_s=nic,
        streams=len(workloads),
        stream_cap_bytes_per_s=P.stream_cap_bytes_per_s,
    )
    for w, t in zip(workloads, transfers, strict=True):
        e = estimate_live(w, network)
        assert e.total_s == pytest.approx(t.finished_at, rel=TOLERANCE)
        assert e.sent_bytes == pytest.approx(t.bytes_sent, rel=TOLERANCE)


@pytest.mark.parametrize("case", [c for c in QEMU_CASES if converging(c)], ids=lambda c: c["id"])
def test_the_estimate_agrees_with_the_simulator_on_the_qemu_cases(case: dict[str, Any]) -> None:
    given, how = case["inputs"], case["how"]
    link = given["link_mbit_s"] * 1e6 / 8
    cap = how["max_bandwidth_mib_s"]
    e = estimate_live(
        Workload(
            touched_bytes=given["touched_mib"] * MIB,
            dirty_rate=given["dirty_mib_s"] * MIB,
            wss_bytes=given["wss_mib"] * MIB,
        ),
        Network(
            source_nic_bytes_per_s=link,
            dest_nic_bytes_per_s=link,
            stream_cap_bytes_per_s=math.inf if cap is None else cap * MIB,
            postcopy_bandwidth_bytes_per_s=given.get("max_postcopy_bandwidth_mib_s", 0) * MIB,
        ),
        Controls(
            downtime_limit_s=how["downtime_limit_ms"] / 1000,
            setup_s=given["setup_s"],
            auto_converge=AutoConverge() if given.get("auto_converge", False) else None,
            post_copy_after_s=given.get("post_copy_at_s"),
        ),
    )
    t = run_to_completion(case)
    assert e.total_s == pytest.approx(t.finished_at, rel=TOLERANCE)
    assert e.sent_bytes == pytest.approx(t.bytes_sent, rel=TOLERANCE)
    assert e.downtime_s == pytest.approx(t.downtime_s, rel=TOLERANCE)


def test_both_say_a_busy_guest_below_its_fair_share_never_converges() -> None:
    case = Case(workload=BUSY, nic=25 * GBIT, streams=8)
    share = case.nic / case.streams
    assert case.workload.dirty_rate > share
    assert estimate(case) == (None, None, None)
    assert all(t.status == MigrationStatus.RUNNING for t in simulate(case, horizon=600.0))


def test_the_estimate_defaults_are_the_simulators() -> None:
    ac, controls = AutoConverge(), Controls()
    assert (ac.initial, ac.step, ac.ceiling, ac.trigger, ac.dirty_share) == (
        P.autoconverge_initial,
        P.autoconverge_step,
        P.autoconverge_max,
        P.autoconverge_trigger,
        P.throttled_dirty_share,
    )
    assert controls.setup_s == P.live_setup_s
    assert controls.switchover_s == P.switchover_s
    assert controls.postcopy_switch_s == P.postcopy_switch_s
    assert controls.downtime_limit_s * 1000 == P.default_downtime_limit_ms
    assert controls.page_bytes == P.page_bytes
