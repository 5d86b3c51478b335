"""The non-convergence ladder: what to do next with a live migration that will not finish.

Pure: it looks at the cloud's view of the migration, the steps already taken and the time, and
returns the next step (or nothing). The ladder of DESIGN §4: raise the downtime limit →
auto-converge → post-copy (if allowed) → force-complete (pause) → abort (and, if the policy
allows, cold-migrate). Each rung is given time to work before the next is climbed; a backend
that lacks a control simply skips that rung.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from vacate.domain.jobs import EscalationStep
from vacate.domain.prediction import Approach, Prediction


class Action(StrEnum):
    #: The schedule's downtime limit, set at the start (``Prediction.downtime_limit_ms``).
    SET_DOWNTIME = "set-downtime"
    RAISE_DOWNTIME = "raise-downtime"
    AUTO_CONVERGE = "auto-converge"
    POST_COPY = "post-copy"
    FORCE_COMPLETE = "force-complete"
    ABORT = "abort"


@dataclass(frozen=True, kw_only=True)
class MigrationProgress:
    """What the ladder needs to know about a running live migration."""

    started_at: float
    now: float
    running: bool  # pre-copy in progress (not preparing, not post-copy, not finished)
    post_copy: bool
    passes: int
    pass_remaining: tuple[float, ...]
    remaining_bytes: float
    memory_bytes: float
    downtime_limit_ms: float
    #: Measured throughput, when known: lets the ladder skip a rung that cannot help.
    bandwidth: float | None = None


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    downtime_control: bool
    auto_converge: bool
    post_copy: bool
    force_complete: bool
    abort: bool


@dataclass(frozen=True, kw_only=True)
class LadderPolicy:
    """How patient each rung is. ``nova_defaults()`` is what Nova does on its own."""

    stall_passes: int = 3
    stall_shrink: float = 0.9  # a pass must leave < 90 % of the best of the previous ones
    max_downtime_ms: float = 500.0
    patience_s: float = 10.0
    auto_converge_patience_s: float = 20.0
    post_copy_allowed: bool = True
    force_complete_patience_s: float = 60.0
    #: Give up regardless after this many seconds per GiB of guest memory (Nova: 800).
    completion_timeout_s_per_gib: float = 800.0
    #: At the completion timeout: abort (Nova's default), or force-complete — post-copy where
    #: allowed, else pause (Nova's ``live_migration_timeout_action = force_complete``).
    timeout_force_complete: bool = False
    #: Nova's post-copy switch (``live_migration_permit_post_copy``): from the second pass on,
    #: a pass that shrinks the pending set by less than 10 % switches to post-copy.
    slow_pass_post_copy: bool = False
    use_ladder: bool = True

    @classmethod
    def nova_defaults(cls) -> LadderPolicy:
        """Nova alone: no ladder, only the completion timeout that aborts."""
        return cls(use_ladder=False, post_copy_allowed=False)

    @classmethod
    def nova_tuned(cls) -> LadderPolicy:
        """Nova as operators tune it: post-copy permitted, force-complete at the timeout."""
        return cls(use_ladder=False, timeout_force_complete=True, slow_pass_post_copy=True)

    @classmethod
    def kubevirt(cls) -> LadderPolicy:
        """KubeVirt with ``allowPostCopy``: post-copy at ``completionTimeoutPerGiB`` (150 s)."""
        return cls(
            use_ladder=False, completion_timeout_s_per_gib=150.0, timeout_force_complete=True
        )


def is_stalled(progress: MigrationProgress, policy: LadderPolicy) -> bool:
    """No real shrink over the last ``stall_passes`` passes: pre-copy will not converge alone."""
    history = progress.pass_remaining
    n = policy.stall_passes
    if len(history) < n + 1:
        return False
    best_before = min(history[:-n]) if len(history) > n else history[0]
    recent_best = min(history[-n:])
    return recent_best >= policy.stall_shrink * best_before


def _last(steps: Sequence[EscalationStep]) -> EscalationStep | None:
    return steps[-1] if steps else None


def next_step(
    progress: MigrationProgress,
    steps: Sequence[EscalationStep],
    caps: Capabilities,
    policy: LadderPolicy,
) -> tuple[Action, str] | None:
    """The next rung to climb now, with a detail for the record, or None to keep waiting."""
    taken = {s.action for s in steps}
    gib = max(progress.memory_bytes / 1024**3, 0.25)
    elapsed = progress.now - progress.started_at
    if Action.ABORT.value in taken or progress.post_copy:
        return None  # the abort is on its way (Nova's is asynchronous), or no way back
    if elapsed > policy.completion_timeout_s_per_gib * gib:
        return _at_timeout(progress, taken, caps, policy, f"{elapsed:.0f} s for {gib:.1f} GiB")
    if not progress.running:
        return None
    if not policy.use_ladder:
        return _slow_pass_switch(progress, taken, caps, policy)
    last = _last(steps)
    since_last = progress.now - last.at if last else elapsed
    if Action.FORCE_COMPLETE.value in taken:
        if (
            since_last >= policy.force_complete_patience_s
            and caps.abort
            and Action.ABORT.value not in taken
        ):
            return Action.ABORT, "force-complete did not finish the migration"
        return None
    if not is_stalled(progress, policy):
        return None
    if last is not None:
        wait = (
            policy.auto_converge_patience_s
            if last.action == Action.AUTO_CONVERGE.value
            else policy.patience_s
        )
        if since_last < wait:
            return None
    remaining_mib = progress.remaining_bytes / 1024**2
    could_fit = (
        progress.bandwidth is None
        or progress.remaining_bytes <= progress.bandwidth * policy.max_downtime_ms / 1000
    )
    if (
        caps.downtime_control
        and Action.RAISE_DOWNTIME.value not in taken
        and progress.downtime_limit_ms < policy.max_downtime_ms
        and could_fit
    ):
        return (
            Action.RAISE_DOWNTIME,
            f"{progress.downtime_limit_ms:.0f} → {policy.max_downtime_ms:.0f} ms "
            f"({remaining_mib:.0f} MiB pending after {progress.passes} passes)",
        )
    if caps.auto_converge and Action.AUTO_CONVERGE.value not in taken:
        return Action.AUTO_CONVERGE, f"throttle the guest ({remaining_mib:.0f} MiB pending)"
    if caps.post_copy and policy.post_copy_allowed and Action.POST_COPY.value not in taken:
        return Action.POST_COPY, f"switch to the destination, pull {remaining_mib:.0f} MiB"
    if caps.force_complete:
        return Action.FORCE_COMPLETE, f"pause the guest to copy the last {remaining_mib:.0f} MiB"
    if caps.abort and Action.ABORT.value not in taken:
        return Action.ABORT, "no way left to make it converge"
    return None


def _at_timeout(
    progress: MigrationProgress,
    taken: set[str],
    caps: Capabilities,
    policy: LadderPolicy,
    detail: str,
) -> tuple[Action, str] | None:
    """The completion timeout: abort, or (``timeout_force_complete``) post-copy or pause first
    and abort only if that does not finish it either."""
    forced = {Action.POST_COPY.value, Action.FORCE_COMPLETE.value} & taken
    if policy.timeout_force_complete and not forced:
        if caps.post_copy and policy.post_copy_allowed:
            return Action.POST_COPY, f"completion timeout ({detail}): switch to post-copy"
        if caps.force_complete:
            return Action.FORCE_COMPLETE, f"completion timeout ({detail}): pause the guest"
    if forced and progress.now - progress.started_at < policy.force_complete_patience_s + (
        policy.completion_timeout_s_per_gib * max(progress.memory_bytes / 1024**3, 0.25)
    ):
        return None
    return Action.ABORT, f"completion timeout ({detail})"


def _slow_pass_switch(
    progress: MigrationProgress, taken: set[str], caps: Capabilities, policy: LadderPolicy
) -> tuple[Action, str] | None:
    """Nova's own post-copy switch (``LadderPolicy.slow_pass_post_copy``)."""
    history = progress.pass_remaining
    if (
        not policy.slow_pass_post_copy
        or not (caps.post_copy and policy.post_copy_allowed)
        or Action.POST_COPY.value in taken
        or progress.passes < 2
        or len(history) < 2
        or history[-2] <= 0
        or (history[-2] - history[-1]) / history[-2] >= 0.10
    ):
        return None
    return Action.POST_COPY, "a pass shrank the pending set by less than 10 %"


def planned_step(
    progress: MigrationProgress,
    plan: Prediction | None,
    steps: Sequence[EscalationStep],
    caps: Capabilities,
    *,
    downtime_limit_ms: float | None = None,
) -> tuple[Action, str] | None:
    """The approach the drain schedule chose, taken as soon as it applies (before any stall):
    auto-converge or post-copy from the first look at a running pre-copy, after lowering the
    downtime limit to ``downtime_limit_ms`` (the schedule's, within ``--max-downtime``). A
    backend without the control leaves it to the ladder."""
    if not progress.running or progress.post_copy:
        return None
    taken = {s.action for s in steps}
    remaining_mib = progress.remaining_bytes / 1024**2
    limit = downtime_limit_ms
    if (
        limit is not None
        and caps.downtime_control
        and not {Action.SET_DOWNTIME.value, Action.RAISE_DOWNTIME.value} & taken
        and limit < progress.downtime_limit_ms
    ):
        return (
            Action.SET_DOWNTIME,
            f"planned: downtime limit {progress.downtime_limit_ms:.0f} → {limit:.0f} ms",
        )
    if plan is None:
        return None
    approach = plan.approach
    if (
        approach is Approach.AUTO_CONVERGE
        and caps.auto_converge
        and Action.AUTO_CONVERGE.value not in taken
    ):
        first = "" if plan.throttle_initial is None else f", from {plan.throttle_initial:.0%}"
        return Action.AUTO_CONVERGE, f"planned: pre-copy converges only throttled{first}"
    if approach is Approach.POST_COPY and caps.post_copy and Action.POST_COPY.value not in taken:
        return (
            Action.POST_COPY,
            f"planned: pre-copy would not converge, pull the {remaining_mib:.0f} MiB there",
        )
    return None
