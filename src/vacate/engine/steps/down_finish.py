"""The end of a host-down job: the host stays ``down``; the job says what was evacuated and
gives every instance left behind its reason (nothing is lost: each is still on the host,
stopped, and its task says why)."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.jobs import JobPhase, JobStatus, Outcome, Verdict
from vacate.domain.maintenance import MaintenanceState
from vacate.engine.record import close, set_state
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick


@dataclass(frozen=True)
class FinishDown:
    phase: JobPhase = JobPhase.VERIFY
    action: str = "finishing the host-down report"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        evacuating = [t for t in job.tasks if t.verdict is Verdict.EVACUATE]
        moved = [t for t in evacuating if t.outcome is Outcome.MOVED]
        left = [t for t in evacuating if t.outcome is not Outcome.MOVED]
        alone = [t for t in job.tasks if t.verdict is Verdict.SKIP]
        message = f"{job.host} is down; {len(moved)} instance(s) evacuated"
        if alone:
            message += (
                f", {len(alone)} left alone ("
                + ", ".join(f"{t.instance_name}: {t.state_before}" for t in alone)
                + ")"
            )
        if left:
            message += f"; {len(left)} not evacuated: " + "; ".join(
                f"{t.instance_name} ({t.reason})" for t in left
            )
        status = (
            JobStatus.CANCELLED
            if job.cancel_requested
            else JobStatus.FAILED
            if left
            else JobStatus.SUCCEEDED
        )
        changes = set_state(tick.store, job, MaintenanceState.DOWN, job.options.reason)
        return StepResult(changes=changes + close(status, message, at=tick.now))
