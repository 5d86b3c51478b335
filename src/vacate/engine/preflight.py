"""Gather the cloud's truth and hand it to the pure planner: the preflight (and ``--dry-run``)."""

from __future__ import annotations

from collections.abc import Sequence

from vacate.collector import paused
from vacate.domain.jobs import Job, JobOptions, Method, Task, Verdict
from vacate.domain.model import HostName
from vacate.engine.snapshot import CloudSnapshot
from vacate.planning.preflight import DrainPlan, PlanItem, plan_drain


def plan_for(snapshot: CloudSnapshot, host: str, options: JobOptions) -> DrainPlan:
    """The drain plan for ``host`` as the snapshot shows things; touches nothing."""
    source = snapshot.host(host)
    with paused():  # a state per host, then the placer's records: many, none in a cycle
        states = snapshot.every_host_state()  # reads every instance once (the host's too)
        return plan_drain(
            source=HostName(source.name),
            instances=snapshot.instances_on(source.name),
            host_states=states,
            groups=snapshot.groups,
            options=options,
            bandwidth=source.nic_bytes_per_s or None,
            stream_cap=snapshot.cloud.capabilities.stream_bytes_per_s,
            throttle_initial=snapshot.cloud.capabilities.throttle_initial,
        )


_METHODS = {Verdict.LIVE: Method.LIVE, Verdict.COLD: Method.COLD}


def tasks_from(job: Job, items: Sequence[PlanItem], *, first_order: int = 0) -> list[Task]:
    """One task per planned instance; what will not move keeps the plan's reason."""
    return [
        Task(
            job_id=job.id,
            instance_id=item.instance.id,
            instance_name=item.instance.name,
            state_before=item.instance.vm_state.value,
            verdict=item.verdict,
            source=job.host,
            order=first_order + item.order,
            planned_destination=item.destination,
            method=_METHODS.get(item.verdict),
            reason="" if item.verdict.moves else item.reason,
            prediction=item.prediction,
        )
        for item in items
    ]
