"""Recover: a repaired host's service is no longer forced down; it stays disabled, in
``maintenance``, until an admin puts it in service — and only once no instance evacuated
from it still runs there (the double-run guard, checked again when the job runs)."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind
from vacate.domain.jobs import JobPhase, JobStatus
from vacate.domain.maintenance import MaintenanceState, vacate_reason
from vacate.engine.doublerun import still_running
from vacate.engine.record import close, note, set_state
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick


@dataclass(frozen=True)
class Recover:
    phase: JobPhase = JobPhase.RECOVER
    action: str = "recovering the host"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        stale = still_running(tick.store, tick.snapshot.instances_on(job.host), job.host)
        if stale:
            message = (
                f"{job.host} stays down: instance(s) evacuated from it still run there: "
                + ", ".join(stale)
            )
            return StepResult(changes=close(JobStatus.FAILED, message, at=tick.now))
        host = tick.snapshot.host(job.host)
        changes = Changes()
        if host.is_enabled:
            reason = vacate_reason(job.options.reason or "recovered after host down")
            tick.cloud.disable_service(job.host, reason)
            changes += note(EventKind.SERVICE_DISABLED, f"compute service on {job.host} disabled")
        if host.forced_down:
            tick.cloud.force_down(job.host, False)
            changes += note(
                EventKind.HOST_RECOVERED,
                f"compute service on {job.host} no longer forced down",
            )
        changes += set_state(
            tick.store, job, MaintenanceState.MAINTENANCE, "recovered after host down"
        )
        message = (
            f"{job.host} is recovered: in maintenance, its service disabled; "
            f"`vacate host maintenance disable {job.host}` puts it back in service"
        )
        return StepResult(changes=changes + close(JobStatus.SUCCEEDED, message, at=tick.now))
