"""The host maintenance state machine (DESIGN §2), table-driven over every pair of states.

The expected table is written out here on purpose rather than read from the module, so that a
change to the product's table has to be made twice: once in the code and once here, on review.
"""

from __future__ import annotations

import itertools

import pytest

from vacate.domain.errors import Conflict, IllegalTransition
from vacate.domain.maintenance import (
    REASON_PREFIX,
    TRANSITIONS,
    MaintenanceState,
    allowed_from,
    is_vacate_reason,
    transition,
    vacate_reason,
)

S = MaintenanceState

#: operational → entering → maintenance → exiting → operational; error when entering (or
#: exiting) could not finish; down after a host-down report (and back through entering or
#: exiting).
EXPECTED: dict[MaintenanceState, frozenset[MaintenanceState]] = {
    S.OPERATIONAL: frozenset({S.ENTERING, S.DOWN}),
    S.ENTERING: frozenset({S.MAINTENANCE, S.ERROR, S.OPERATIONAL, S.DOWN}),
    S.MAINTENANCE: frozenset({S.EXITING, S.DOWN}),
    S.EXITING: frozenset({S.OPERATIONAL, S.MAINTENANCE, S.ERROR, S.DOWN}),
    S.ERROR: frozenset({S.ENTERING, S.EXITING, S.DOWN}),
    S.DOWN: frozenset({S.EXITING, S.ENTERING, S.MAINTENANCE}),
}

ALL_PAIRS = list(itertools.product(MaintenanceState, MaintenanceState))
ALLOWED = [
    pytest.param(a, b, id=f"{a.value} may go to {b.value}")
    for a, b in ALL_PAIRS
    if b in EXPECTED[a]
]
ILLEGAL = [
    pytest.param(a, b, id=f"{a.value} may not go to {b.value}")
    for a, b in ALL_PAIRS
    if b not in EXPECTED[a]
]


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    assert dict(TRANSITIONS) == EXPECTED


def test_every_state_has_a_row_and_no_state_is_a_dead_end() -> None:
    assert set(TRANSITIONS) == set(MaintenanceState)
    for state in MaintenanceState:
        assert allowed_from(state), f"{state.value} has no way out"


def test_no_state_may_transition_to_itself() -> None:
    for state in MaintenanceState:
        assert state not in allowed_from(state)


@pytest.mark.parametrize(("current", "wanted"), ALLOWED)
def test_an_allowed_transition_returns_the_wanted_state(
    current: MaintenanceState, wanted: MaintenanceState
) -> None:
    assert transition("c01", current, wanted) is wanted


@pytest.mark.parametrize(("current", "wanted"), ILLEGAL)
def test_an_illegal_transition_raises_naming_the_current_state_and_the_allowed_ones(
    current: MaintenanceState, wanted: MaintenanceState
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition("c01", current, wanted)
    error = caught.value
    message = str(error)
    assert isinstance(error, Conflict), "an illegal transition must map to 409 / exit code 4"
    assert error.host == "c01"
    assert error.current == current.value
    assert error.wanted == wanted.value
    assert error.allowed == tuple(sorted(s.value for s in EXPECTED[current]))
    assert "'c01'" in message
    assert f"is '{current.value}'" in message
    assert f"'{wanted.value}'" in message
    allowed_text = ", ".join(sorted(s.value for s in EXPECTED[current]))
    assert f"(allowed from '{current.value}': {allowed_text})" in message


def test_an_illegal_transition_error_says_none_when_nothing_is_allowed() -> None:
    error = IllegalTransition("c01", "gone", "operational", [])
    assert error.allowed == ()
    assert "(allowed from 'gone': none)" in str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("kernel upgrade", "vacate: kernel upgrade", id="a reason gets the prefix"),
        pytest.param("  disk swap \n", "vacate: disk swap", id="surrounding blanks are trimmed"),
        pytest.param("", "vacate:", id="an empty reason is the bare prefix"),
        pytest.param("   ", "vacate:", id="a blank reason is the bare prefix"),
    ],
)
def test_vacate_reason_prefixes_the_operators_text(text: str, expected: str) -> None:
    assert vacate_reason(text) == expected
    assert is_vacate_reason(vacate_reason(text))


@pytest.mark.parametrize(
    ("reason", "ours"),
    [
        pytest.param("vacate: kernel upgrade", True, id="a reason vacate wrote is recognised"),
        pytest.param("vacate:", True, id="the bare prefix is recognised"),
        pytest.param("AUTO: Connection to libvirt lost", False, id="libvirt's reason is not ours"),
        pytest.param("disabled by ops for vacate: later", False, id="the prefix must lead"),
        pytest.param("Vacate: upgrade", False, id="the prefix is case sensitive"),
        pytest.param("vacate upgrade", False, id="the colon is part of the prefix"),
        pytest.param("", False, id="an empty reason is not ours"),
        pytest.param(None, False, id="no reason is not ours"),
    ],
)
def test_is_vacate_reason_recognises_only_reasons_vacate_wrote(
    reason: str | None, ours: bool
) -> None:
    assert is_vacate_reason(reason) is ours


def test_the_reason_prefix_never_collides_with_libvirts() -> None:
    assert REASON_PREFIX.endswith(":")
    assert not "AUTO:".startswith(REASON_PREFIX)
    assert not REASON_PREFIX.startswith("AUTO")
