"""The migration model against real QEMU 7.2 migrations (``tests/data/qemu-migrations.json``).

Each case drives the simulator's model with the parameters QEMU was run with (its ``how``,
restated as numbers in ``inputs``) and compares what the model does with what QEMU measured.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from vacate.clouds.sim import transfer as tr
from vacate.clouds.sim.params import ModelParams
from vacate.domain.model import MIB, Workload
from vacate.ports.cloud import MigrationStatus

DATA = Path(__file__).resolve().parents[2] / "data" / "qemu-migrations.json"
CASES: list[dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))["cases"]
TOLERANCE = 0.10


def converging(case: dict[str, Any]) -> bool:
    return case["measured"].get("converged", True) is not False


def params_for(case: dict[str, Any]) -> ModelParams:
    cap = case["how"]["max_bandwidth_mib_s"]
    given = case["inputs"]
    return ModelParams(
        live_setup_s=given["setup_s"],
        stream_cap_bytes_per_s=math.inf if cap is None else cap * MIB,
        postcopy_bandwidth_bytes_per_s=given.get("max_postcopy_bandwidth_mib_s", 0) * MIB,
    )


def start(case: dict[str, Any], params: ModelParams) -> tuple[tr.Transfer, dict[str, float]]:
    given = case["inputs"]
    link = given["link_mbit_s"] * 1e6 / 8
    t = tr.new_live(
        id=case["id"],
        instance_id=f"i-{case['id']}",
        source="source",
        dest="dest",
        workload=Workload(
            touched_bytes=given["touched_mib"] * MIB,
            dirty_rate=given["dirty_mib_s"] * MIB,
            wss_bytes=given["wss_mib"] * MIB,
        ),
        now=0.0,
        params=params,
        downtime_limit_ms=case["how"]["downtime_limit_ms"],
    )
    if given.get("auto_converge", False):
        tr.enable_auto_converge(t)
    return t, {"source": link, "dest": link}


def run_to_completion(case: dict[str, Any]) -> tr.Transfer:
    params = params_for(case)
    t, nic = start(case, params)
    now = 0.0
    switch_at = case["inputs"].get("post_copy_at_s")
    if switch_at is not None:
        tr.advance([t], nic, now, switch_at, params)
        tr.start_post_copy(t, switch_at)
        now = switch_at
    tr.advance([t], nic, now, now + 100 * case["measured"]["total_s"], params)
    return t


@pytest.mark.parametrize("case", [c for c in CASES if converging(c)], ids=lambda c: c["id"])
def test_the_model_finishes_each_case_in_qemus_time_with_qemus_bytes(
    case: dict[str, Any],
) -> None:
    t = run_to_completion(case)
    measured = case["measured"]
    assert t.status == MigrationStatus.COMPLETED
    assert t.finished_at == pytest.approx(measured["total_s"], rel=TOLERANCE)
    assert t.bytes_sent / MIB == pytest.approx(measured["sent_mib"], rel=TOLERANCE)


@pytest.mark.parametrize("case", [c for c in CASES if not converging(c)], ids=lambda c: c["id"])
def test_a_case_qemu_never_converged_does_not_converge_and_sends_qemus_bytes(
    case: dict[str, Any],
) -> None:
    params = params_for(case)
    t, nic = start(case, params)
    cancel = case["measured"]["cancelled_at_s"]
    tr.advance([t], nic, 0.0, cancel, params)
    assert t.status == MigrationStatus.RUNNING
    assert t.bytes_sent / MIB == pytest.approx(
        case["measured"]["sent_mib_at_cancel"], rel=TOLERANCE
    )
    tr.advance([t], nic, cancel, 100 * cancel, params)
    assert t.status == MigrationStatus.RUNNING
    assert tr.remaining_bytes(t) <= case["inputs"]["wss_mib"] * MIB * (1 + 1e-9)


def test_the_data_keeps_its_provenance_and_every_case_has_inputs() -> None:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    assert "QEMU" in data["about"]
    assert CASES
    for case in CASES:
        assert {"id", "how", "measured", "inputs"} <= set(case), case.get("id")
