"""``exit --restore``: move instances back to the host they were drained from."""

from __future__ import annotations

from vacate.domain.jobs import Job, JobKind, Method, Outcome, Task, Verdict
from vacate.domain.model import HostName, VmState
from vacate.engine.context import Context


def restore_tasks(ctx: Context, job: Job) -> list[Task]:
    """One task per instance the drain that put this host where it is moved away and that is
    still where that drain put it."""
    drains = [  # newest first: the last enter before this exit, however it ended
        j
        for j in ctx.store.list_jobs(host=job.host)
        if j.kind is JobKind.ENTER_MAINTENANCE
        and not j.status.is_active
        and j.created_at <= job.created_at
        and j.id != job.id
    ]
    if not drains:
        return []
    drain = ctx.store.get_job(drains[0].id)
    tasks = []
    for order, moved in enumerate(t for t in drain.tasks if t.outcome is Outcome.MOVED):
        try:
            inst = ctx.cloud.get_instance(moved.instance_id)
        except Exception:
            continue
        if inst.host is None or inst.host != moved.destination or inst.is_gone:
            continue
        live = inst.vm_state in (VmState.ACTIVE, VmState.PAUSED)
        tasks.append(
            Task(
                job_id=job.id,
                instance_id=inst.id,
                instance_name=inst.name,
                state_before=inst.vm_state.value,
                verdict=Verdict.LIVE if live else Verdict.COLD,
                method=Method.LIVE if live else Method.COLD,
                source=inst.host,
                order=order,
                planned_destination=HostName(job.host),
            )
        )
    return tasks
