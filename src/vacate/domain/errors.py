"""Errors the whole product shares, classified so that every edge can map them.

The CLI maps them to exit codes (3 not found, 4 conflict), the REST API to 404/409; the engine
uses the classification to decide whether to retry (``TemporaryError``) or give up.
"""

from __future__ import annotations

from collections.abc import Iterable


class VacateError(Exception):
    """Base of every error Vacate raises on purpose."""


class NotFound(VacateError):
    """A named thing does not exist; the message names it."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"{kind} {name!r} not found")
        self.kind = kind
        self.name = name


class Conflict(VacateError):
    """The request clashes with the current state; retrying later may work."""


class IllegalTransition(Conflict):
    """A maintenance-state transition the state machine does not allow."""

    def __init__(
        self, host: str, current: str, wanted: str, allowed: Iterable[str], *, hint: str = ""
    ) -> None:
        allowed_list = sorted(allowed)
        allowed_text = ", ".join(allowed_list) if allowed_list else "none"
        message = hint or f"allowed from {current!r}: {allowed_text}"
        super().__init__(f"host {host!r} is {current!r}: cannot go to {wanted!r} ({message})")
        self.host = host
        self.current = current
        self.wanted = wanted
        self.allowed = tuple(allowed_list)
        self.hint = hint


class LeaseLost(Conflict):
    """Another worker holds this job now: whoever gets this must stop acting on it at once."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id} is held by another worker")
        self.job_id = job_id


class TemporaryError(VacateError):
    """Worth retrying after ``delay`` seconds (throttling, a busy instance)."""

    def __init__(self, message: str, *, delay: float = 5.0) -> None:
        super().__init__(message)
        self.delay = delay


class PermanentError(VacateError):
    """Retrying will not help; the message says what would."""


class SetupError(VacateError):
    """Vacate cannot use a setting, file or database as it found it: the message names it and
    says what to do. Never repaired silently (a replaced database loses every host's state)."""


class PlanNotReady(VacateError):
    """The drain's plan has blocked instances and the operator did not accept a partial drain:
    nothing was disabled or moved. ``blocked`` lists (instance, reason) for each."""

    def __init__(self, host: str, blocked: Iterable[tuple[str, str]]) -> None:
        self.host = host
        self.blocked = tuple(blocked)
        names = ", ".join(name for name, _ in self.blocked)
        super().__init__(
            f"the plan for {host} is not ready: {len(self.blocked)} instance(s) blocked "
            f"({names}); nothing was disabled or moved. Apply the overrides the plan suggests, "
            "or pass --allow-partial to move what can move"
        )
