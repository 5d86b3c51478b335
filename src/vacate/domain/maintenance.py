"""The host maintenance state machine (DESIGN §2) as an explicit transition table.

``operational → entering → maintenance → exiting → operational``; ``error`` when entering (or
exiting) could not finish (the host stays as it is and says why); ``down`` after a host-down
report. Every transition not in the table is illegal and the error names the current state and
the allowed ones, so an operator (and a 409 response) always knows where the host stands.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from vacate.domain.errors import IllegalTransition

#: Prefix of every disabled reason Vacate writes, so it never collides with other tools' reasons
#: (libvirt writes ``AUTO: ...``) and Vacate only ever re-enables services it disabled itself.
REASON_PREFIX = "vacate:"


class MaintenanceState(StrEnum):
    OPERATIONAL = "operational"
    ENTERING = "entering"
    MAINTENANCE = "maintenance"
    EXITING = "exiting"
    ERROR = "error"
    DOWN = "down"


_S = MaintenanceState

TRANSITIONS: MappingProxyType[MaintenanceState, frozenset[MaintenanceState]] = MappingProxyType(
    {
        _S.OPERATIONAL: frozenset({_S.ENTERING, _S.DOWN}),
        _S.ENTERING: frozenset({_S.MAINTENANCE, _S.ERROR, _S.OPERATIONAL, _S.DOWN}),
        _S.MAINTENANCE: frozenset({_S.EXITING, _S.DOWN}),
        _S.EXITING: frozenset({_S.OPERATIONAL, _S.MAINTENANCE, _S.ERROR, _S.DOWN}),
        _S.ERROR: frozenset({_S.ENTERING, _S.EXITING, _S.DOWN}),
        # A repaired host comes back through ``vacate host recover``: disabled, in maintenance.
        _S.DOWN: frozenset({_S.EXITING, _S.ENTERING, _S.MAINTENANCE}),
    }
)


def allowed_from(state: MaintenanceState) -> frozenset[MaintenanceState]:
    return TRANSITIONS[state]


def transition(host: str, current: MaintenanceState, wanted: MaintenanceState) -> MaintenanceState:
    """Return ``wanted`` if the table allows it, else raise ``IllegalTransition``."""
    allowed = TRANSITIONS[current]
    if wanted not in allowed:
        raise IllegalTransition(host, current.value, wanted.value, (s.value for s in allowed))
    return wanted


def vacate_reason(text: str) -> str:
    """The disabled reason Vacate writes for ``text``."""
    text = text.strip()
    return f"{REASON_PREFIX} {text}" if text else REASON_PREFIX


def is_vacate_reason(reason: str | None) -> bool:
    return bool(reason) and str(reason).startswith(REASON_PREFIX)


#: Prefix of the reasons the compute driver writes itself (libvirt: ``AUTO: Connection to
#: libvirt lost``); it re-enables such a service on its own once the host is healthy.
DRIVER_REASON_PREFIX = "AUTO:"


def is_driver_reason(reason: str | None) -> bool:
    return bool(reason) and str(reason).startswith(DRIVER_REASON_PREFIX)
