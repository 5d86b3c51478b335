"""The ladders the bench's baselines run, and the approach the schedule takes up front
(planning/escalation.py: ``planned_step``, ``nova_tuned``, ``kubevirt``)."""

from __future__ import annotations

from dataclasses import replace

from vacate.domain.jobs import EscalationStep
from vacate.domain.model import GIB, MIB
from vacate.domain.prediction import Approach, Prediction
from vacate.planning.escalation import (
    Action,
    Capabilities,
    LadderPolicy,
    MigrationProgress,
    next_step,
    planned_step,
)

ALL = Capabilities(
    downtime_control=True, auto_converge=True, post_copy=True, force_complete=True, abort=True
)
NO_POST_COPY = Capabilities(
    downtime_control=True, auto_converge=True, post_copy=False, force_complete=True, abort=True
)


def progress(
    now: float,
    history: tuple[float, ...] = (),
    *,
    running: bool = True,
    post_copy: bool = False,
    memory: float = 1 * GIB,
) -> MigrationProgress:
    return MigrationProgress(
        started_at=0.0,
        now=now,
        running=running,
        post_copy=post_copy,
        passes=len(history),
        pass_remaining=history,
        remaining_bytes=history[-1] if history else memory,
        memory_bytes=memory,
        downtime_limit_ms=300.0,
    )


def plan(approach: Approach, limit_ms: float | None = None) -> Prediction:
    return Prediction(
        approach=approach,
        start_s=0.0,
        duration_s=10.0,
        downtime_s=0.1,
        sent_bytes=GIB,
        streams=3,
        downtime_limit_ms=limit_ms,
    )


def test_a_planned_post_copy_is_taken_at_the_first_look_at_a_running_pre_copy() -> None:
    step = planned_step(progress(6.0), plan(Approach.POST_COPY), [], ALL)
    assert step is not None and step[0] is Action.POST_COPY
    assert "planned" in step[1]


def test_a_planned_approach_waits_for_the_pre_copy_to_run_and_is_taken_once() -> None:
    assert planned_step(progress(1.0, running=False), plan(Approach.POST_COPY), [], ALL) is None
    done = [EscalationStep(action=Action.AUTO_CONVERGE.value, at=6.0)]
    assert planned_step(progress(8.0), plan(Approach.AUTO_CONVERGE), done, ALL) is None
    step = planned_step(progress(6.0), plan(Approach.AUTO_CONVERGE), [], ALL)
    assert step is not None and step[0] is Action.AUTO_CONVERGE


def test_without_the_control_a_planned_approach_is_left_to_the_ladder() -> None:
    assert planned_step(progress(6.0), plan(Approach.POST_COPY), [], NO_POST_COPY) is None
    assert planned_step(progress(6.0), plan(Approach.PRE_COPY), [], ALL) is None
    assert planned_step(progress(6.0), None, [], ALL) is None


def test_a_planned_downtime_limit_is_set_first_and_only_to_lower_the_limit() -> None:
    step = planned_step(progress(6.0), plan(Approach.PRE_COPY), [], ALL, downtime_limit_ms=110.0)
    assert step is not None and step[0] is Action.SET_DOWNTIME and "110 ms" in step[1]
    set_once = [EscalationStep(action=Action.SET_DOWNTIME.value, at=6.0)]
    again = planned_step(progress(8.0), None, set_once, ALL, downtime_limit_ms=110.0)
    assert again is None
    # Above the backend's current limit (300 ms) it would lengthen the pause: left alone.
    assert planned_step(progress(6.0), None, [], ALL, downtime_limit_ms=400.0) is None


def test_nova_tuned_switches_when_a_pass_after_the_second_shrinks_by_under_ten_percent() -> None:
    tuned = LadderPolicy.nova_tuned()
    shrinking = (1000 * MIB, 800 * MIB, 600 * MIB)
    assert next_step(progress(30.0, shrinking), [], ALL, tuned) is None
    slow = (1000 * MIB, 800 * MIB, 760 * MIB)
    step = next_step(progress(30.0, slow), [], ALL, tuned)
    assert step is not None and step[0] is Action.POST_COPY
    # Only from the second pass on, and never without post-copy.
    assert next_step(progress(30.0, (1000 * MIB, 990 * MIB)[:1]), [], ALL, tuned) is None
    assert next_step(progress(30.0, slow), [], NO_POST_COPY, tuned) is None


def test_nova_default_aborts_at_the_timeout_where_tuned_nova_forces_completion() -> None:
    late = progress(900.0, (1000 * MIB, 990 * MIB, 995 * MIB))
    default = next_step(late, [], ALL, LadderPolicy.nova_defaults())
    assert default is not None and default[0] is Action.ABORT
    tuned = replace_slow_switch_off(LadderPolicy.nova_tuned())
    step = next_step(late, [], ALL, tuned)
    assert step is not None and step[0] is Action.POST_COPY
    paused = next_step(late, [], NO_POST_COPY, tuned)
    assert paused is not None and paused[0] is Action.FORCE_COMPLETE


def test_a_forced_completion_that_does_not_finish_is_aborted_after_its_patience() -> None:
    tuned = replace_slow_switch_off(LadderPolicy.nova_tuned())
    forced = [EscalationStep(action=Action.FORCE_COMPLETE.value, at=801.0)]
    history = (1000 * MIB, 990 * MIB, 995 * MIB)
    assert next_step(progress(820.0, history), forced, NO_POST_COPY, tuned) is None
    step = next_step(progress(900.0, history), forced, NO_POST_COPY, tuned)
    assert step is not None and step[0] is Action.ABORT


def test_kubevirt_switches_to_post_copy_at_its_shorter_timeout_and_never_aborts_post_copy() -> None:
    kubevirt = LadderPolicy.kubevirt()
    history = (1000 * MIB, 990 * MIB, 995 * MIB)
    assert next_step(progress(100.0, history), [], ALL, kubevirt) is None
    step = next_step(progress(160.0, history), [], ALL, kubevirt)
    assert step is not None and step[0] is Action.POST_COPY
    assert next_step(progress(5000.0, history, post_copy=True), [], ALL, kubevirt) is None


def replace_slow_switch_off(policy: LadderPolicy) -> LadderPolicy:
    """The timeout rule alone (the slow-pass switch would act first on a stalled history)."""
    return replace(policy, slow_pass_post_copy=False)
