"""The drain's lower bound (DESIGN §5) for the summary line, from the cloud's workloads."""

from __future__ import annotations

from vacate.domain.jobs import Job, Method, Outcome
from vacate.planning.estimate import drain_lower_bound
from vacate.ports.cloud import Cloud


def lower_bound_for(cloud: Cloud, job: Job) -> float | None:
    """``max(Σ M_i / B_source, max M_i / B_stream)`` over the live-moved instances."""
    live = [t for t in job.tasks if t.outcome is Outcome.MOVED and t.method is Method.LIVE]
    workloads = [
        w for w in (cloud.get_instance(t.instance_id).workload for t in live) if w is not None
    ]
    source = cloud.get_host(job.host)
    stream = cloud.capabilities.stream_bytes_per_s or source.nic_bytes_per_s
    if not workloads or source.nic_bytes_per_s <= 0 or not stream:
        return None
    return drain_lower_bound(workloads, source.nic_bytes_per_s, stream)
