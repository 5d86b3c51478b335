"""Query side of a job's results: counts, drain time against the lower bound, downtime — the
summary every interface shows under the results table."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.errors import NotFound
from vacate.domain.jobs import Job, JobKind, Method, Outcome, Verdict
from vacate.domain.model import VmState
from vacate.planning.estimate import drain_lower_bound
from vacate.planning.schedule import LinkModel, cold_copy_bytes
from vacate.ports.cloud import Cloud


@dataclass(frozen=True, kw_only=True)
class DrainSummary:
    makespan_s: float | None
    lower_bound_s: float | None
    moved: int
    failed: int
    blocked: int
    skipped: int
    total_downtime_s: float
    max_downtime_s: float
    #: Skipped by policy and still on the host, and how many of those were running.
    left_by_policy: int = 0
    left_running: int = 0
    live_moved: int = 0
    #: Host down: evacuated, and left on the failed host (no room, failed, held back).
    evacuated: int = 0
    left_on_host: int = 0
    #: Host down: left exactly as they were (soft-deleted, deleted, resized, in error).
    left_alone: int = 0

    @property
    def is_evacuation(self) -> bool:
        """A host-down job: its time is the evacuation's, and no guest moved live."""
        return bool(self.evacuated or self.left_on_host or self.left_alone)

    @property
    def bound_is_meaningful(self) -> bool:
        """The bound counts live transfers over the source NIC: a handful of live moves, or a
        drain of mostly cold moves, says nothing about how well the drain used the network."""
        return (
            self.lower_bound_s is not None
            and self.makespan_s is not None
            and self.live_moved >= 3
            and self.lower_bound_s >= 1.0
        )

    @property
    def efficiency(self) -> float | None:
        if not self.makespan_s or self.lower_bound_s is None or not self.bound_is_meaningful:
            return None
        return self.lower_bound_s / self.makespan_s


#: The bound is that of emptying one source host: a restore moves instances *into* the job's
#: host from many sources, and the bound (and so the efficiency) says nothing about it.
_DRAINS = frozenset({JobKind.ENTER_MAINTENANCE, JobKind.MIGRATE_INSTANCES})


def lower_bound_for(cloud: Cloud, job: Job) -> float | None:
    """The drain's lower bound (``estimate.drain_lower_bound``: one setup, every live-moved
    guest's touched bytes and every cold copy once through the source NIC); None for any other
    job."""
    if job.kind not in _DRAINS:
        return None
    moved = [t for t in job.tasks if t.outcome is Outcome.MOVED and t.method is not None]
    workloads, cold = [], []
    for task in moved:
        try:
            instance = cloud.get_instance(task.instance_id)
        except NotFound:
            continue
        if task.method is Method.COLD:
            cold.append(cold_copy_bytes(instance.flavor.disk_gb))
        elif instance.workload is not None:
            workloads.append(instance.workload)
    try:
        source = cloud.get_host(job.host)
    except NotFound:
        return None
    stream = cloud.capabilities.stream_bytes_per_s or source.nic_bytes_per_s
    if not workloads or source.nic_bytes_per_s <= 0 or not stream:
        return None
    setup = LinkModel(source_nic_bytes_per_s=source.nic_bytes_per_s).live_setup_s
    return drain_lower_bound(
        workloads, source.nic_bytes_per_s, stream, setup_s=setup, cold_bytes=cold
    )


def summarise(job: Job, lower_bound_s: float | None) -> DrainSummary:
    starts = [t.started_at for t in job.tasks if t.started_at is not None]
    ends = [t.ended_at for t in job.tasks if t.ended_at is not None and t.started_at is not None]
    makespan = (max(ends) - min(starts)) if starts and ends else None
    downtimes = [
        t.downtime_s for t in job.tasks if t.downtime_s is not None and t.method is Method.LIVE
    ]
    count = {o: sum(1 for t in job.tasks if t.outcome is o) for o in Outcome}
    kept = [t for t in job.tasks if t.verdict is Verdict.SKIP and t.outcome is Outcome.SKIPPED]
    alone = kept if job.kind is JobKind.HOST_DOWN else []
    kept = [] if alone else kept
    evac = [t for t in job.tasks if t.verdict is Verdict.EVACUATE and t.is_done]
    return DrainSummary(
        makespan_s=makespan,
        lower_bound_s=lower_bound_s,
        moved=count[Outcome.MOVED],
        failed=count[Outcome.FAILED],
        blocked=count[Outcome.BLOCKED],
        skipped=count[Outcome.SKIPPED],
        total_downtime_s=sum(downtimes),
        max_downtime_s=max(downtimes, default=0.0),
        left_by_policy=len(kept),
        left_running=sum(t.state_before in _LIVE_STATES for t in kept),
        live_moved=sum(t.outcome is Outcome.MOVED and t.method is Method.LIVE for t in job.tasks),
        evacuated=sum(t.verdict is Verdict.EVACUATE and t.outcome is Outcome.MOVED for t in evac),
        left_on_host=sum(t.outcome is not Outcome.MOVED for t in evac),
        left_alone=len(alone),
    )


_LIVE_STATES = (VmState.ACTIVE.value, VmState.PAUSED.value)


def job_summary(cloud: Cloud, job: Job) -> DrainSummary:
    return summarise(job, lower_bound_for(cloud, job))
