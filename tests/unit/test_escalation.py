"""The non-convergence ladder (planning/escalation.py), table-driven.

A stalled pre-copy climbs raise-downtime → auto-converge → post-copy → force-complete → abort,
one rung at a time and each only after the previous rung's patience; a backend without a
control skips its rung; the completion timeout aborts whatever the ladder is doing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from vacate.domain.jobs import EscalationStep
from vacate.domain.model import GIB, MIB
from vacate.planning.escalation import (
    Action,
    Capabilities,
    LadderPolicy,
    MigrationProgress,
    is_stalled,
    next_step,
)

A = Action
#: Spelled out, so the tables below do not move when the product's defaults are tuned.
POLICY = LadderPolicy(
    stall_passes=3,
    stall_shrink=0.9,
    max_downtime_ms=500.0,
    patience_s=15.0,
    auto_converge_patience_s=40.0,
    post_copy_allowed=True,
    force_complete_patience_s=60.0,
    completion_timeout_s_per_gib=800.0,
    use_ladder=True,
)
NOVA = replace(LadderPolicy.nova_defaults(), completion_timeout_s_per_gib=800.0)
ALL = Capabilities(
    downtime_control=True, auto_converge=True, post_copy=True, force_complete=True, abort=True
)
NONE = Capabilities(
    downtime_control=False, auto_converge=False, post_copy=False, force_complete=False, abort=False
)

STALLED = (900 * MIB, 910 * MIB, 905 * MIB, 912 * MIB)  # no real shrink over 3 passes
CONVERGING = (900 * MIB, 700 * MIB, 500 * MIB, 300 * MIB)


def progress(
    now: float,
    *,
    history: tuple[float, ...] = STALLED,
    started_at: float = 0.0,
    running: bool = True,
    post_copy: bool = False,
    memory: float = 2 * GIB,  # completion timeout 1600 s with the default policy
    downtime_limit_ms: float = 300.0,
    bandwidth: float | None = None,
) -> MigrationProgress:
    return MigrationProgress(
        started_at=started_at,
        now=now,
        running=running,
        post_copy=post_copy,
        passes=len(history),
        pass_remaining=history,
        remaining_bytes=history[-1] if history else memory,
        memory_bytes=memory,
        downtime_limit_ms=downtime_limit_ms,
        bandwidth=bandwidth,
    )


def steps(*taken: tuple[Action, float]) -> list[EscalationStep]:
    return [EscalationStep(action=a.value, at=at) for a, at in taken]


def action_of(answer: tuple[Action, str] | None) -> Action | None:
    return None if answer is None else answer[0]


RAISED = (A.RAISE_DOWNTIME, 100.0)
CONVERGED = (A.AUTO_CONVERGE, 120.0)
POSTED = (A.POST_COPY, 160.0)  # refused by the cloud: the migration is still in pre-copy
FORCED = (A.FORCE_COMPLETE, 180.0)

#: (progress, steps taken, capabilities, policy, expected next action)
LADDER = [
    pytest.param(progress(100, history=CONVERGING), [], ALL, POLICY, None,
                 id="a converging migration gets no step"),
    pytest.param(progress(100, history=STALLED[:3]), [], ALL, POLICY, None,
                 id="too few passes to call it stalled gets no step"),
    pytest.param(progress(3, running=False, history=()), [], ALL, POLICY, None,
                 id="a migration still preparing gets no step"),
    pytest.param(progress(100), [], ALL, POLICY, A.RAISE_DOWNTIME,
                 id="a stalled migration first raises the downtime limit"),
    pytest.param(progress(114.9), steps(RAISED), ALL, POLICY, None,
                 id="auto-converge waits for the downtime rung's patience"),
    pytest.param(progress(115), steps(RAISED), ALL, POLICY, A.AUTO_CONVERGE,
                 id="auto-converge comes once the downtime rung's patience is over"),
    pytest.param(progress(159.9), steps(RAISED, CONVERGED), ALL, POLICY, None,
                 id="post-copy waits for auto-converge's longer patience"),
    pytest.param(progress(160), steps(RAISED, CONVERGED), ALL, POLICY, A.POST_COPY,
                 id="post-copy comes once auto-converge had its patience"),
    pytest.param(progress(174.9), steps(RAISED, CONVERGED, POSTED), ALL, POLICY, None,
                 id="force-complete waits for the post-copy rung's patience"),
    pytest.param(progress(175), steps(RAISED, CONVERGED, POSTED), ALL, POLICY,
                 A.FORCE_COMPLETE, id="force-complete comes when post-copy did not take over"),
    pytest.param(progress(239.9), steps(RAISED, CONVERGED, POSTED, FORCED), ALL, POLICY, None,
                 id="abort waits for force-complete's patience"),
    pytest.param(progress(240), steps(RAISED, CONVERGED, POSTED, FORCED), ALL, POLICY, A.ABORT,
                 id="abort comes when force-complete did not finish the migration"),
    pytest.param(progress(240, history=CONVERGING), steps(RAISED, CONVERGED, POSTED, FORCED),
                 ALL, POLICY, A.ABORT,
                 id="abort after force-complete does not wait for a stall"),
    pytest.param(progress(900), steps(RAISED, CONVERGED, POSTED, FORCED, (A.ABORT, 240.0)),
                 ALL, POLICY, None, id="nothing comes after abort"),
    pytest.param(progress(900, running=False, post_copy=True), steps(RAISED, CONVERGED, POSTED),
                 ALL, POLICY, None, id="a migration in post-copy is left to finish"),
    pytest.param(progress(200, history=CONVERGING), steps(RAISED, CONVERGED), ALL, POLICY, None,
                 id="a migration that converges after a rung climbs no further"),
    # -- capabilities and policy skip rungs --
    pytest.param(progress(100), [], replace(ALL, downtime_control=False), POLICY,
                 A.AUTO_CONVERGE, id="without downtime control the ladder starts at auto-converge"),
    pytest.param(progress(100, downtime_limit_ms=500), [], ALL, POLICY, A.AUTO_CONVERGE,
                 id="a downtime limit already at the maximum skips the downtime rung"),
    pytest.param(progress(100, bandwidth=1000 * MIB), [], ALL, POLICY, A.AUTO_CONVERGE,
                 id="a pending set that cannot fit the raised limit skips the downtime rung"),
    pytest.param(progress(100, bandwidth=2000 * MIB), [], ALL, POLICY, A.RAISE_DOWNTIME,
                 id="a pending set that fits the raised limit at the measured speed raises it"),
    pytest.param(progress(115), steps(RAISED), replace(ALL, auto_converge=False), POLICY,
                 A.POST_COPY, id="without auto-converge the ladder goes to post-copy"),
    pytest.param(progress(160), steps(RAISED, CONVERGED), replace(ALL, post_copy=False), POLICY,
                 A.FORCE_COMPLETE, id="without post-copy the ladder goes to force-complete"),
    pytest.param(progress(160), steps(RAISED, CONVERGED), ALL,
                 replace(POLICY, post_copy_allowed=False), A.FORCE_COMPLETE,
                 id="post-copy not allowed skips it"),
    pytest.param(progress(100), [], replace(NONE, force_complete=True, abort=True), POLICY,
                 A.FORCE_COMPLETE, id="with only force-complete and abort it pauses first"),
    pytest.param(progress(100), [], replace(NONE, abort=True), POLICY, A.ABORT,
                 id="with no control but abort it aborts at once"),
    pytest.param(progress(100), [], NONE, POLICY, None,
                 id="with no control at all it can only wait"),
    pytest.param(progress(240), steps(RAISED, CONVERGED, POSTED, FORCED),
                 replace(ALL, abort=False), POLICY, None,
                 id="without abort a forced migration is left to finish"),
    # -- the completion timeout --
    pytest.param(progress(1600, history=CONVERGING), [], ALL, POLICY, None,
                 id="the completion timeout is not reached at exactly 800 s per GiB"),
    pytest.param(progress(1601, history=CONVERGING), [], ALL, POLICY, A.ABORT,
                 id="the completion timeout aborts even a migration that is converging"),
    pytest.param(progress(1601), steps(RAISED, CONVERGED), ALL, POLICY, A.ABORT,
                 id="the completion timeout cuts a climb short"),
    pytest.param(progress(2000, history=CONVERGING), steps((A.ABORT, 1601.0)), ALL, POLICY,
                 None, id="the completion timeout aborts only once"),
    pytest.param(progress(2000), steps((A.ABORT, 1601.0)), ALL, POLICY, None,
                 id="a stalled migration still reported running after its timeout abort "
                    "gets no further rung (nova's abort is asynchronous)"),
    pytest.param(progress(300), steps(RAISED, (A.ABORT, 120.0)), ALL, POLICY, None,
                 id="a migration still running after any abort gets no further rung"),
    pytest.param(progress(201, history=CONVERGING, memory=10 * MIB), [], ALL, POLICY, A.ABORT,
                 id="a tiny guest is timed as a quarter GiB"),
    pytest.param(progress(199, history=CONVERGING, memory=10 * MIB), [], ALL, POLICY, None,
                 id="a tiny guest is not timed out before its quarter GiB is up"),
    # -- Nova's defaults --
    pytest.param(progress(100), [], ALL, NOVA, None, id="nova defaults never climb the ladder"),
    pytest.param(progress(1599), [], ALL, NOVA, None,
                 id="nova defaults wait until the completion timeout"),
    pytest.param(progress(1601), [], ALL, NOVA, A.ABORT,
                 id="nova defaults abort at the completion timeout"),
]  # fmt: skip


@pytest.mark.parametrize(("prog", "taken", "caps", "policy", "expected"), LADDER)
def test_the_next_rung_of_the_ladder(
    prog: MigrationProgress,
    taken: Sequence[EscalationStep],
    caps: Capabilities,
    policy: LadderPolicy,
    expected: Action | None,
) -> None:
    assert action_of(next_step(prog, taken, caps, policy)) is expected


def climb(
    caps: Capabilities, policy: LadderPolicy, *, until: float, start: float = 10.0
) -> list[tuple[str, float]]:
    """Ask the ladder once a second about a migration that stays stalled in pre-copy (as if
    every control was refused) and record each rung with the time it was climbed."""
    taken: list[EscalationStep] = []
    t = start
    while t <= until:
        answer = next_step(progress(t), taken, caps, policy)
        if answer is not None:
            taken.append(EscalationStep(action=answer[0].value, at=t, detail=answer[1]))
        t += 1.0
    return [(s.action, s.at) for s in taken]


def test_a_stalled_migration_climbs_every_rung_in_order_each_after_its_patience() -> None:
    assert climb(ALL, POLICY, until=1000) == [
        ("raise-downtime", 10.0),
        ("auto-converge", 25.0),  # + patience 15 s
        ("post-copy", 65.0),  # + auto-converge patience 40 s
        ("force-complete", 80.0),  # + patience 15 s
        ("abort", 140.0),  # + force-complete patience 60 s
    ]


def test_a_stalled_migration_without_post_copy_allowed_never_switches_to_post_copy() -> None:
    ladder = climb(ALL, replace(POLICY, post_copy_allowed=False), until=1000)
    assert [a for a, _ in ladder] == ["raise-downtime", "auto-converge", "force-complete", "abort"]


def test_a_stalled_migration_on_a_plain_backend_goes_straight_to_force_complete() -> None:
    caps = replace(NONE, force_complete=True, abort=True)
    assert climb(caps, POLICY, until=1000) == [("force-complete", 10.0), ("abort", 70.0)]


def test_nova_defaults_only_ever_abort_at_the_completion_timeout() -> None:
    assert climb(ALL, NOVA, until=3000) == [("abort", 1601.0)]


def test_nova_defaults_are_no_ladder_and_novas_800_seconds_per_gib() -> None:
    nova = LadderPolicy.nova_defaults()
    assert nova.use_ladder is False
    assert nova.completion_timeout_s_per_gib == 800.0


def test_the_patience_of_each_rung_follows_the_policy() -> None:
    quick = replace(POLICY, patience_s=2, auto_converge_patience_s=3, force_complete_patience_s=4)
    assert climb(ALL, quick, until=100, start=0) == [
        ("raise-downtime", 0.0),
        ("auto-converge", 2.0),
        ("post-copy", 5.0),
        ("force-complete", 7.0),
        ("abort", 11.0),
    ]


def test_each_rung_says_what_it_does() -> None:
    raised = next_step(progress(100), [], ALL, POLICY)
    assert raised is not None and "300 → 500 ms" in raised[1] and "4 passes" in raised[1]
    timeout = next_step(progress(1601, history=CONVERGING), [], ALL, POLICY)
    assert timeout is not None and "completion timeout" in timeout[1]
    assert "2.0 GiB" in timeout[1]
    last = next_step(progress(240), steps(RAISED, CONVERGED, POSTED, FORCED), ALL, POLICY)
    assert last is not None and "force-complete did not finish" in last[1]


MI = MIB
STALL = [
    pytest.param((), False, id="no passes is not stalled"),
    pytest.param((900 * MI, 900 * MI, 900 * MI), False, id="three passes are too few"),
    pytest.param((900 * MI,) * 4, True, id="four equal passes are stalled"),
    pytest.param((900 * MI, 950 * MI, 990 * MI, 999 * MI), True, id="growing passes are stalled"),
    pytest.param((900 * MI, 800 * MI, 700 * MI, 600 * MI), False, id="shrinking passes converge"),
    pytest.param((1000 * MI, 950 * MI, 920 * MI, 900 * MI), True,
                 id="a shrink of exactly ten percent is still a stall"),
    pytest.param((1000 * MI, 990 * MI, 960 * MI, 899 * MI), False,
                 id="a shrink of more than ten percent is progress"),
    pytest.param((500 * MI, 100 * MI, 120 * MI, 110 * MI, 105 * MI), True,
                 id="the best earlier pass is the yardstick, not the first one"),
    pytest.param((900 * MI,) * 10 + (100 * MI,), False,
                 id="one good recent pass is enough to call it progress"),
]  # fmt: skip


@pytest.mark.parametrize(("history", "stalled"), STALL)
def test_a_migration_is_stalled_when_its_recent_passes_do_not_really_shrink(
    history: tuple[float, ...], stalled: bool
) -> None:
    assert is_stalled(progress(100, history=history), POLICY) is stalled


def test_the_stall_window_follows_the_policy() -> None:
    flat = (900 * MI,) * 3
    assert not is_stalled(progress(100, history=flat), POLICY)
    assert is_stalled(progress(100, history=flat), replace(POLICY, stall_passes=2))
    slow = (1000 * MI, 1000 * MI, 1000 * MI, 960 * MI)
    assert not is_stalled(progress(100, history=slow), replace(POLICY, stall_shrink=0.97))
