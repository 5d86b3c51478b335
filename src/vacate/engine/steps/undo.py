"""A cancel that lands before anything moved: put the host back as the job found it."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind
from vacate.domain.jobs import JobPhase, JobStatus, Outcome
from vacate.domain.maintenance import MaintenanceState, is_vacate_reason
from vacate.engine.record import close, finish_task, note, set_state
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick


@dataclass(frozen=True)
class UndoBeforeMoves:
    """``restores_state``: the job changed the host's maintenance state, so put it back (and
    re-enable a service this job disabled on an operational host)."""

    restores_state: bool = True
    phase: JobPhase = JobPhase.PREFLIGHT
    action: str = "cancelling"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        changes = Changes()
        if self.restores_state:
            found = MaintenanceState(job.found_state)
            host = tick.snapshot.host(job.host)
            if (
                found is MaintenanceState.OPERATIONAL
                and not host.is_enabled
                and is_vacate_reason(host.disabled_reason)
            ):
                tick.cloud.enable_service(job.host)
                changes += note(
                    EventKind.SERVICE_ENABLED, f"compute service on {job.host} enabled again"
                )
            changes += set_state(
                tick.store, job, found, job.found_reason or "the job was cancelled", force=True
            )
        for task in job.tasks:
            if not task.is_done:
                changes += finish_task(
                    task, Outcome.SKIPPED, "not started: the job was cancelled", at=None
                )
        return StepResult(
            changes=changes
            + close(JobStatus.CANCELLED, "cancelled before anything moved", at=tick.now)
        )
