"""The drain's lower bound (DESIGN §5) for the summary line, from the cloud's workloads."""

from __future__ import annotations

from vacate.bootstrap import App
from vacate.domain.jobs import Job, Method, Outcome
from vacate.planning.estimate import drain_lower_bound


def lower_bound_for(a: App, job: Job) -> float | None:
    """``max(Σ M_i / B_source, max M_i / B_stream)`` over the live-moved instances."""
    live = [t for t in job.tasks if t.outcome is Outcome.MOVED and t.method is Method.LIVE]
    if not live:
        return None
    workloads = []
    for task in live:
        inst = a.ctx.cloud.get_instance(task.instance_id)
        if inst.workload is not None:
            workloads.append(inst.workload)
    source = a.ctx.cloud.get_host(job.host)
    if not workloads or source.nic_bytes_per_s <= 0:
        return None
    return drain_lower_bound(workloads, source.nic_bytes_per_s, a.sim.params.stream_cap_bytes_per_s)
