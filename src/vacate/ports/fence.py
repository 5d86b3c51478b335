"""The Fence port: power a failed host off through its BMC and read the power state back.

Evacuation of a host-down job waits behind this gate (DESIGN §2, host down): an instance must
never run twice, so a host counts as fenced only when its BMC reads back ``off`` (or an
operator asserts it). Implementations never put a credential in a message, a log or an error.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class PowerState(StrEnum):
    ON = "on"
    OFF = "off"
    #: Powering on or off, or a state the BMC reports that is neither.
    TRANSITIONING = "transitioning"


class FenceFailure(StrEnum):
    """Why a BMC call did not give an answer, each with its own advice to a person."""

    UNCONFIGURED = "unconfigured"  # no BMC configured for this host
    REFUSED = "refused"  # 401/403: credentials refused
    ERROR = "error"  # the BMC answered with an error (4xx/5xx other than auth)
    TIMEOUT = "timeout"  # no answer in time (connect or read)
    UNREACHABLE = "unreachable"  # connection refused, DNS, TLS


class FenceError(Exception):
    """A BMC call failed. ``str(error)`` is safe to show: it never holds a credential."""

    def __init__(self, failure: FenceFailure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


class Fencer(Protocol):
    def configured(self, host: str) -> bool:
        """Whether a BMC is configured for ``host`` (no I/O)."""
        ...

    def power_state(self, host: str) -> PowerState:
        """Read the host's power state from its BMC; raises ``FenceError``."""
        ...

    def power_off(self, host: str) -> None:
        """Ask the BMC to force the host off (idempotent; returns before it is off);
        raises ``FenceError``."""
        ...


class NoFencer:
    """No BMC configured anywhere: every host must be fenced by an operator's assertion."""

    def configured(self, host: str) -> bool:
        return False

    def power_state(self, host: str) -> PowerState:
        raise FenceError(FenceFailure.UNCONFIGURED, f"no BMC is configured for host {host}")

    def power_off(self, host: str) -> None:
        raise FenceError(FenceFailure.UNCONFIGURED, f"no BMC is configured for host {host}")
