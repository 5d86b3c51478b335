"""The per-state policy table, every row, and how the operator's options change it."""

from __future__ import annotations

import pytest

from vacate.domain.jobs import JobOptions, Method, Verdict
from vacate.domain.model import Instance, PowerState, VmState
from vacate.planning.policy import STATE_POLICY, condition, decide, parse_state_policy

from .builders import vm

S = VmState

#: One instance per row of the table, with the verdict and words its reason must carry.
ROWS = [
    pytest.param("active", vm("a"), Verdict.LIVE, ["live-migrate"],
                 id="a running instance is live migrated"),
    pytest.param("active-not-running", vm("a", power=PowerState.SHUTDOWN), Verdict.BLOCKED,
                 ["power state is 'shutdown'", "active-not-running=cold"],
                 id="an active instance that is not running is blocked until nova agrees"),
    pytest.param("stopped", vm("a", vm_state=S.STOPPED), Verdict.COLD, ["cold-migrate"],
                 id="a shut off instance is cold migrated"),
    pytest.param("paused", vm("a", vm_state=S.PAUSED), Verdict.LIVE, ["live-migrate"],
                 id="a paused instance is live migrated"),
    pytest.param("suspended", vm("a", vm_state=S.SUSPENDED), Verdict.BLOCKED,
                 ["suspended instances cannot be migrated: resume it, or pass "
                  "--policy suspended=skip to leave it on the host"],
                 id="a suspended instance is blocked with the fix"),
    pytest.param("error", vm("a", vm_state=S.ERROR), Verdict.BLOCKED,
                 ["repair it in the cloud", "error=skip"],
                 id="an instance in error is blocked with the fix"),
    pytest.param("resized", vm("a", vm_state=S.RESIZED), Verdict.BLOCKED,
                 ["confirm or revert the resize first"],
                 id="a resize awaiting confirmation is blocked"),
    pytest.param("rescued", vm("a", vm_state=S.RESCUED), Verdict.BLOCKED, ["unrescue"],
                 id="a rescued instance is blocked"),
    pytest.param("building", vm("a", vm_state=S.BUILDING), Verdict.BLOCKED, ["still building"],
                 id="a building instance is blocked"),
    pytest.param("shelved", vm("a", vm_state=S.SHELVED), Verdict.SKIP,
                 ["shelved", "shelve-offload"],
                 id="a shelved instance is skipped and the hint says how to free the host"),
    pytest.param("shelved_offloaded", vm("a", vm_state=S.SHELVED_OFFLOADED, on=None),
                 Verdict.SKIP, ["nothing on the host"],
                 id="an offloaded instance is skipped"),
    pytest.param("deleted", vm("a", vm_state=S.DELETED), Verdict.SKIP, ["nothing on the host"],
                 id="a deleted instance is skipped"),
    pytest.param("soft-delete", vm("a", vm_state=S.SOFT_DELETED), Verdict.SKIP,
                 ["nothing on the host"], id="a soft deleted instance is skipped"),
    pytest.param("busy", vm("a", task_state="migrating"), Verdict.BLOCKED,
                 ["busy: task_state 'migrating'; wait for it to finish and retry"],
                 id="an instance with a task running is blocked until it finishes"),
    pytest.param("locked", vm("a", locked=True), Verdict.BLOCKED,
                 ["locked by its owner: unlock it or pass --allow-locked"],
                 id="a locked instance is blocked"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "instance", "verdict", "says"), ROWS)
def test_default_policy(row: str, instance: Instance, verdict: Verdict, says: list[str]) -> None:
    assert condition(instance) == row
    assert STATE_POLICY[row].verdict is verdict
    got, reason = decide(instance, JobOptions())
    assert got is verdict
    for text in says:
        assert text in reason


def test_every_row_of_the_table_is_tested() -> None:
    assert {p.values[0] for p in ROWS} == set(STATE_POLICY)


def test_every_blocking_row_tells_the_operator_what_to_do() -> None:
    for name, rule in STATE_POLICY.items():
        if rule.verdict is Verdict.BLOCKED:
            assert rule.hint, name


@pytest.mark.parametrize(
    ("instance", "expected"),
    [
        pytest.param(vm("a", vm_state=S.DELETED, task_state="deleting"), "deleted",
                     id="a deleted instance is skipped even while a task runs"),
        pytest.param(vm("a", task_state="rebooting", locked=True), "busy",
                     id="busy comes before locked"),
        pytest.param(vm("a", vm_state=S.SUSPENDED, locked=True), "locked",
                     id="locked comes before the vm state"),
    ],
)  # fmt: skip
def test_precedence(instance: Instance, expected: str) -> None:
    assert condition(instance) == expected


def test_allow_locked_lets_a_locked_instance_follow_its_state() -> None:
    assert decide(vm("a", locked=True), JobOptions(allow_locked=True))[0] is Verdict.LIVE
    stopped = vm("a", locked=True, vm_state=S.STOPPED)
    assert decide(stopped, JobOptions(allow_locked=True))[0] is Verdict.COLD


OVERRIDES = [
    pytest.param(row, action, id=f"policy {row}={action} is honoured")
    for row, rule in STATE_POLICY.items()
    for action in sorted(rule.overrides)
]

INSTANCE_FOR = {p.values[0]: p.values[1] for p in ROWS}


@pytest.mark.parametrize(("row", "action"), OVERRIDES)
def test_an_override_replaces_the_default_verdict(row: str, action: str) -> None:
    options = JobOptions(state_policy=((row, action),), allow_skip_running=True)
    verdict, reason = decide(INSTANCE_FOR[row], options)
    assert verdict.value == action
    assert f"by policy {row}={action}" in reason


def test_an_override_for_another_state_changes_nothing() -> None:
    options = JobOptions(state_policy=(("suspended", "skip"),))
    assert decide(vm("a", vm_state=S.ERROR), options)[0] is Verdict.BLOCKED


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        pytest.param(("stopped", "live"), "not possible; for stopped instances: cold, skip",
                     id="a stopped instance cannot be set to live"),
        pytest.param(("suspended", "cold"), "not possible",
                     id="a suspended instance can only be skipped"),
        pytest.param(("busy", "skip"), "none", id="busy cannot be overridden"),
        pytest.param(("frozen", "skip"), "unknown state; known: active",
                     id="an unknown state is named with the known ones"),
        pytest.param(("error", "evacuate"), "unknown action; use live, cold or skip",
                     id="an unknown action is refused"),
    ],
)  # fmt: skip
def test_impossible_overrides_fail_with_a_reason(pair: tuple[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_state_policy([pair])
    with pytest.raises(ValueError, match=message):
        decide(vm("a"), JobOptions(state_policy=(pair,)))


def test_overrides_are_case_and_space_insensitive() -> None:
    assert parse_state_policy([(" Suspended", "SKIP ")]) == {"suspended": Verdict.SKIP}


@pytest.mark.parametrize(
    ("instance", "state_policy", "method", "verdict", "says"),
    [
        pytest.param(vm("a"), (), Method.COLD, Verdict.COLD, "forced by --cold",
                     id="cold forced on a running instance cold migrates it"),
        pytest.param(vm("a"), (), Method.LIVE, Verdict.LIVE, "live-migrate",
                     id="live forced on a running instance changes nothing"),
        pytest.param(vm("a", vm_state=S.STOPPED), (), Method.LIVE, Verdict.BLOCKED,
                     "--live asked but instance is stopped; an instance that is stopped can "
                     "only be cold-migrated",
                     id="live forced on a stopped instance is blocked"),
        pytest.param(vm("a", vm_state=S.PAUSED), (), Method.COLD, Verdict.BLOCKED,
                     "only be live-migrated", id="cold forced on a paused instance is blocked"),
        pytest.param(vm("a", vm_state=S.SUSPENDED), (("suspended", "skip"),), Method.LIVE,
                     Verdict.SKIP, "by policy suspended=skip",
                     id="a forced method leaves skipped instances alone"),
        pytest.param(vm("a", vm_state=S.SUSPENDED), (), Method.LIVE, Verdict.BLOCKED,
                     "suspended instances", id="a forced method does not unblock"),
        pytest.param(vm("a", power=PowerState.CRASHED), (("active-not-running", "cold"),),
                     Method.COLD, Verdict.COLD, "by policy",
                     id="cold forced where policy already says cold keeps the policy reason"),
    ],
)  # fmt: skip
def test_force_method(
    instance: Instance,
    state_policy: tuple[tuple[str, str], ...],
    method: Method,
    verdict: Verdict,
    says: str,
) -> None:
    options = JobOptions(force_method=method, state_policy=state_policy)
    got, reason = decide(instance, options)
    assert got is verdict
    assert says in reason


def test_every_override_a_hint_suggests_is_one_the_table_accepts() -> None:
    """Advice that cannot work is worse than none: a suggested --policy must parse."""
    import re

    from vacate.planning.policy import STATE_POLICY, parse_state_policy

    for name, rule in STATE_POLICY.items():
        for state, action in re.findall(r"--policy ([\w-]+)=(\w+)", rule.hint):
            assert state == name, f"{name}: hint names another row"
            parse_state_policy([(state, action)])


def test_the_methods_each_row_offers_are_the_ones_the_cloud_carries_out() -> None:
    """One place for what can move how: the policy rows and the cloud's allowed states."""
    from vacate.domain.model import COLD_MIGRATABLE, LIVE_MIGRATABLE, VmState
    from vacate.planning.policy import STATE_POLICY

    for name, rule in STATE_POLICY.items():
        try:
            state = VmState(name)
        except ValueError:
            continue  # a condition, not a vm_state (busy, locked, active-not-running)
        assert ("live" in rule.methods) <= (state in LIVE_MIGRATABLE), name
        assert ("cold" in rule.methods) <= (state in COLD_MIGRATABLE), name


def test_skipping_a_running_guest_needs_the_acknowledgement() -> None:
    refused, reason = decide(vm("a"), JobOptions(state_policy=(("active", "skip"),)))
    assert refused is Verdict.BLOCKED and "--allow-skip-running" in reason
    accepted, _ = decide(
        vm("a"), JobOptions(state_policy=(("active", "skip"),), allow_skip_running=True)
    )
    assert accepted is Verdict.SKIP


def test_a_state_given_twice_is_refused_naming_both_actions() -> None:
    with pytest.raises(ValueError, match=r"--policy error is given twice \(error=skip and "):
        parse_state_policy([("error", "skip"), (" Error", "skip")])


def test_a_locked_override_with_allow_locked_is_refused_as_a_contradiction() -> None:
    with pytest.raises(ValueError, match="contradicts --allow-locked"):
        parse_state_policy([("locked", "skip")], allow_locked=True)
    with pytest.raises(ValueError, match="contradicts --allow-locked"):
        decide(
            vm("a", locked=True), JobOptions(state_policy=(("locked", "skip"),), allow_locked=True)
        )
