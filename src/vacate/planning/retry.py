"""What to do after a move failed or the cloud refused it: the retry policy, as data.

Pure. kopf's lesson: make the retry decision explicit — a temporary refusal waits for its delay
and counts as an attempt, a conflict tries again elsewhere, anything else ends the task with a
reason that says what would help.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Refusal(StrEnum):
    """How the cloud refused to start a move."""

    TEMPORARY = "temporary"  # throttled, busy: wait its delay
    CONFLICT = "conflict"  # not now / not there: try again, elsewhere
    PERMANENT = "permanent"
    GONE = "gone"  # the instance no longer exists


class Next(StrEnum):
    RETRY = "retry"
    FALLBACK_COLD = "fallback-cold"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, kw_only=True)
class Decision:
    next: Next
    reason: str
    #: For a retry: wait at least this long before the next attempt.
    delay_s: float = 0.0


DELETED = "instance was deleted during the drain"


def after_refusal(
    refusal: Refusal, *, attempt: int, max_attempts: int, message: str, method: str, delay_s: float
) -> Decision:
    """The cloud would not start attempt ``attempt`` (1-based)."""
    if refusal is Refusal.GONE:
        return Decision(next=Next.SKIP, reason=DELETED)
    retryable = refusal in (Refusal.TEMPORARY, Refusal.CONFLICT)
    if retryable and attempt < max_attempts:
        return Decision(
            next=Next.RETRY,
            reason=message,
            delay_s=delay_s if refusal is Refusal.TEMPORARY else 0.0,
        )
    tries = f" (after {attempt} attempts)" if attempt > 1 else ""
    return Decision(
        next=Next.FAIL, reason=f"the cloud refused the {method} migration: {message}{tries}"
    )


def after_failure(
    *,
    error: str,
    instance_in_error: bool,
    aborted_by_us: bool,
    cancelled: bool,
    live: bool,
    cold_fallback: bool,
    escalations: tuple[str, ...],
    attempt: int,
    max_attempts: int,
    where: str,
) -> Decision:
    """A migration the cloud reports failed or cancelled."""
    if instance_in_error:
        return Decision(
            next=Next.FAIL,
            reason=f"{error}; the instance is now in error on {where}: check it before retrying",
        )
    if aborted_by_us and cancelled:
        return Decision(next=Next.SKIP, reason="aborted: the job was cancelled")
    if aborted_by_us:
        if cold_fallback and live:
            return Decision(
                next=Next.FALLBACK_COLD, reason="live migration aborted, cold-migrating"
            )
        return Decision(
            next=Next.FAIL,
            reason=f"live migration did not converge ({', '.join(escalations)}); "
            "pass --cold-fallback to cold-migrate it "
            "(the guest restarts), or lower its memory load and retry",
        )
    if attempt < max_attempts:
        return Decision(next=Next.RETRY, reason=f"{error}; retrying")
    return Decision(
        next=Next.FAIL, reason=f"{error} (after {attempt} attempts); it is still on {where}"
    )
