"""The fencing gate: nothing is evacuated until the failed host is known to be off.

Off means an operator asserted it (``--fenced``) or the host's BMC reads back ``off`` — asked
to power off first, then polled with back-off (a real BMC takes seconds); a host already off
counts, so a dead chassis that refuses a power-off never deadlocks the job. A BMC that fails
(refused, errors, times out) or no BMC at all leaves the job waiting here with a message that
says what a person can do; the gate tries again with back-off.
"""

from __future__ import annotations

from dataclasses import dataclass

from vacate.domain.changes import Changes, JobChange
from vacate.domain.events import EventKind
from vacate.domain.jobs import JobPhase, JobStatus
from vacate.engine.record import close, note
from vacate.engine.steps.base import StepResult
from vacate.engine.tick import Tick
from vacate.ports.fence import FenceError, FenceFailure, PowerState

#: Every message of a job parked at the gate starts so (the CLI stops following there).
WAITING = "awaiting fence:"
#: Back-off between BMC calls: the poll interval, doubled per failure, at most this.
MAX_FENCE_BACKOFF_S = 60.0

_ADVICE = {
    FenceFailure.UNCONFIGURED: "configure its BMC",
    FenceFailure.REFUSED: "check the BMC credentials in Vacate's configuration",
    FenceFailure.ERROR: "check the BMC (it answered with an error)",
    FenceFailure.TIMEOUT: "check that the BMC is reachable (it did not answer in time)",
    FenceFailure.UNREACHABLE: "check the BMC address and network",
}


def assert_hint(host: str) -> str:
    return f"once it is off, `vacate host down {host} --fenced` lets the evacuation go on"


def _wait(tick: Tick, message: str) -> StepResult:
    """Park with ``message`` (an event only when it changes, not every poll)."""
    if tick.job.message == message:
        return StepResult(wait=True)
    return StepResult(
        changes=Changes(job=JobChange(message=message))
        + note(EventKind.HOST_FENCE_WAITING, message),
        wait=True,
    )


def _fenced(tick: Tick, how: str) -> StepResult:
    message = f"{tick.job.host} is fenced: {how}"
    return StepResult(
        changes=Changes(job=JobChange(message=message)) + note(EventKind.HOST_FENCED, message),
        done=True,
    )


@dataclass(frozen=True)
class FenceGate:
    phase: JobPhase = JobPhase.AWAITING_FENCE
    action: str = "fencing the host"

    def run(self, tick: Tick) -> StepResult:
        job = tick.job
        host = job.host
        if job.cancel_requested and not job.options.fenced:
            return StepResult(
                changes=close(
                    JobStatus.CANCELLED,
                    f"cancelled before {host} was fenced: nothing was evacuated; it stays down "
                    "and its instances stay stopped",
                    at=tick.now,
                )
            )
        if job.options.fenced:
            return _fenced(tick, "an operator asserted it is off")
        fencer = tick.ctx.fencer
        if not fencer.configured(host):
            return _wait(
                tick,
                f"{WAITING} no BMC is configured for {host} and nobody asserted it is off; "
                f"power it off, then run `vacate host down {host} --fenced`",
            )
        memory = tick.memory
        if tick.now < memory.fence_next:
            return StepResult(wait=True)
        try:
            state = fencer.power_state(host)
            if state is PowerState.OFF:
                return _fenced(tick, "its BMC reads the power off")
            if not memory.fence_sent:
                fencer.power_off(host)
                memory.fence_sent = True
            memory.fence_tries = 0
            memory.fence_next = tick.now + tick.ctx.poll_s
            return _wait(tick, f"powering {host} off through its BMC; waiting for it to read off")
        except FenceError as exc:
            memory.fence_tries += 1
            memory.fence_sent = False
            delay = min(MAX_FENCE_BACKOFF_S, tick.ctx.poll_s * 2 ** min(memory.fence_tries, 6))
            memory.fence_next = tick.now + delay
            return _wait(
                tick,
                f"{WAITING} the BMC of {host} failed ({exc.failure.value}: {exc}); "
                f"{_ADVICE[exc.failure]}; retrying with back-off; {assert_hint(host)}",
            )
