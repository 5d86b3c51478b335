"""The compute service: disable it for a drain, enable it on exit, or set it on request.

Each calls the cloud only when the service is not already as wanted (idempotent: a worker that
died after the call finds it done), and never touches a reason that is not Vacate's: another
tool's disable stays, and the compute driver's own (``AUTO:``) is the driver's to clear.
"""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes
from vacate.domain.events import EventKind
from vacate.domain.jobs import JobPhase, JobStatus
from vacate.domain.maintenance import (
    MaintenanceState,
    is_driver_reason,
    is_vacate_reason,
    vacate_reason,
)
from vacate.engine.record import close, note, set_state
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick


@dataclass(frozen=True)
class DisableService:
    phase: JobPhase = JobPhase.DISABLE
    action: str = "disabling the service"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        host = tick.snapshot.host(job.host)
        reason = vacate_reason(job.options.reason or "maintenance")
        if not host.is_enabled and not is_vacate_reason(host.disabled_reason):
            # Disabled by someone else already: the scheduler keeps away either way, and their
            # reason stays, so a rollback never re-enables what Vacate did not disable.
            return StepResult(
                changes=note(EventKind.SERVICE_NOTE, f"already disabled: {host.disabled_reason!r}"),
                done=True,
            )
        return StepResult(changes=disable(tick, reason), done=True)


def disable(tick: Tick, reason: str) -> Changes:
    """Disable the service with ``reason`` unless it already is, with that reason."""
    host = tick.snapshot.host(tick.job.host)
    if host.disabled_reason == reason and not host.is_enabled:
        return Changes()
    tick.cloud.disable_service(host.name, reason)
    return note(EventKind.SERVICE_DISABLED, f"compute service on {host.name} disabled: {reason}")


def enable(tick: Tick, *, again: bool = False) -> Changes:
    """Enable the service unless the compute driver holds it disabled."""
    job = tick.job
    host = tick.snapshot.host(job.host)
    if host.is_enabled:
        return Changes()
    if is_driver_reason(host.disabled_reason):
        # The compute driver disabled it (libvirt lost) and re-enables it when healthy.
        return note(
            EventKind.SERVICE_NOTE,
            f"left disabled: the compute driver's own reason {host.disabled_reason!r}",
        )
    tick.cloud.enable_service(job.host)
    return note(
        EventKind.SERVICE_ENABLED,
        f"compute service on {job.host} enabled" + (" again" if again else ""),
    )


@dataclass(frozen=True)
class EnableService:
    """Exit: back in service before anything moves back (the scheduler may use it again)."""

    phase: JobPhase = JobPhase.ENABLE
    action: str = "enabling the service"

    def run(self, tick: Tick) -> StepResult:
        changes = enable(tick) + set_state(
            tick.store, tick.job, MaintenanceState.OPERATIONAL, "back in service"
        )
        return StepResult(changes=changes, done=True)


@dataclass(frozen=True)
class SetService:
    """``host-update --status``: the service as asked, recorded like any other change."""

    phase: JobPhase = JobPhase.PREFLIGHT
    action: str = "updating the service"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        if job.options.enable_service:
            changes = enable(tick)
            message = f"compute service on {job.host} enabled"
            if any(e.kind is EventKind.SERVICE_NOTE for e in changes.events):
                message = changes.events[0].message
        else:
            reason = vacate_reason(job.options.reason or "disabled by an operator")
            changes = disable(tick, reason)
            message = f"compute service on {job.host} disabled: {reason}"
        if changes.empty:
            message += " (already so)"
        return StepResult(changes=changes + close(JobStatus.SUCCEEDED, message, at=tick.now))
