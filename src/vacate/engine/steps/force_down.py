"""Force down: the first thing a host-down job does, at once — the compute service is forced
down (the scheduler and Nova's evacuate both need it) and disabled with Vacate's reason, so it
stays out of service when the host comes back, and the host is ``down``."""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind
from vacate.domain.jobs import JobPhase
from vacate.domain.maintenance import MaintenanceState, is_vacate_reason, vacate_reason
from vacate.engine.record import note, set_state
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick


@dataclass(frozen=True)
class ForceDown:
    phase: JobPhase = JobPhase.FORCE_DOWN
    action: str = "forcing the service down"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        host = tick.snapshot.host(job.host)
        reason = vacate_reason(job.options.reason or "host down")
        changes = Changes()
        if not host.forced_down:
            tick.cloud.force_down(host.name, True)
            changes += note(
                EventKind.HOST_FORCED_DOWN, f"compute service on {host.name} forced down"
            )
        if host.is_enabled or (
            is_vacate_reason(host.disabled_reason) and host.disabled_reason != reason
        ):
            tick.cloud.disable_service(host.name, reason)
            changes += note(
                EventKind.SERVICE_DISABLED, f"compute service on {host.name} disabled: {reason}"
            )
        changes += set_state(tick.store, job, MaintenanceState.DOWN, job.options.reason)
        return StepResult(changes=changes, done=True)
