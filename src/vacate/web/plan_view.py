"""The preview of a drain: each instance's verdict, destination or blocked reason, the
override that would change a blocked verdict, and an estimate of the whole drain."""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

from vacate.domain.jobs import Verdict
from vacate.engine.context import Context
from vacate.planning.estimate import drain_lower_bound
from vacate.planning.preflight import DrainPlan, PlanItem

_POLICY_HINT = re.compile(r"--policy ([A-Za-z_-]+=(?:live|cold|skip))")


@dataclass(frozen=True)
class PreviewRow:
    item: PlanItem
    #: What to put in the form to change a blocked verdict ("" when nothing can).
    override: str


@dataclass(frozen=True)
class Preview:
    plan: DrainPlan
    rows: tuple[PreviewRow, ...]
    estimate_s: float | None


def override_for(item: PlanItem) -> str:
    """The form's words for the CLI hint in a blocked reason."""
    if item.verdict is not Verdict.BLOCKED:
        return ""
    hints = [f"per-state override {m}" for m in _POLICY_HINT.findall(item.reason)]
    if "--allow-locked" in item.reason:
        hints.append("tick “Allow locked instances”")
    return "; ".join(hints)


def parallel_makespan(estimates: list[float], slots: int) -> float:
    """Longest first onto the earliest free of ``slots`` lanes (the plan's LPT order)."""
    lanes = [0.0] * max(1, slots)
    for seconds in sorted(estimates, reverse=True):
        heapq.heapreplace(lanes, lanes[0] + seconds)
    return max(lanes)


def estimate_drain(ctx: Context, plan: DrainPlan, max_parallel: int) -> float | None:
    """The schedule's makespan; without one (``--fixed-limits``, no NIC speed), the longer of
    the lanes' makespan and what the source NIC allows for the live movers; None when no mover
    has an estimate."""
    if plan.makespan_s is not None:
        return plan.makespan_s
    movers = [i for i in plan.movable if i.estimate_s is not None]
    if not movers:
        return None
    lanes = parallel_makespan([i.estimate_s or 0.0 for i in movers], max_parallel)
    workloads = [
        i.instance.workload
        for i in movers
        if i.verdict is Verdict.LIVE and i.instance.workload is not None
    ]
    source = ctx.cloud.get_host(plan.source)
    stream = ctx.cloud.capabilities.stream_bytes_per_s or source.nic_bytes_per_s
    if workloads and source.nic_bytes_per_s > 0 and stream:
        return max(lanes, drain_lower_bound(workloads, source.nic_bytes_per_s, stream))
    return lanes


def preview(ctx: Context, plan: DrainPlan, max_parallel: int) -> Preview:
    rows = tuple(PreviewRow(item=i, override=override_for(i)) for i in plan.items)
    return Preview(plan=plan, rows=rows, estimate_s=estimate_drain(ctx, plan, max_parallel))
