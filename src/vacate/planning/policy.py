"""The per-state policy: what a drain does with an instance, decided from its state alone.

The table is data (``STATE_POLICY``) so the docs, the CLI help and the tests iterate the same
rows the planner uses. Each row names a *condition* (mostly a Nova ``vm_state``; plus ``busy``
for a running task, ``locked``, and ``active-not-running`` when Nova and the hypervisor
disagree), the default verdict, why, the hint that tells the operator how to change the outcome,
and which ``--policy CONDITION=ACTION`` overrides are possible at all (live-migration needs a
running or paused guest; cold-migration needs an active or stopped one).

Precedence, first match wins: nothing on the host (deleted, soft-deleted, shelved-offloaded) →
``busy`` (a task_state is set: Nova would refuse with a conflict) → ``locked`` (unless
``allow_locked``) → the ``vm_state`` row. An operator override replaces the verdict of its row
only; ``force_method`` then turns every live/cold verdict into the forced method where that
method is possible, and blocks the instance with the reason where it is not.

Shelved (not offloaded) instances are skipped by default: the guest is powered off and kept as
a snapshot, Nova cannot migrate it, and leaving it loses nothing; the hint says how to free the
host (``shelve-offload``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from vacate.domain.jobs import JobOptions, Verdict
from vacate.domain.model import Instance, PowerState, VmState

ACTIONS: Mapping[str, Verdict] = MappingProxyType(
    {"live": Verdict.LIVE, "cold": Verdict.COLD, "skip": Verdict.SKIP}
)


@dataclass(frozen=True, kw_only=True)
class PolicyRule:
    """One row: the default verdict, why, how to change it, and the overrides possible.

    ``reason`` may use ``{task_state}`` and ``{power_state}``, filled from the instance.
    """

    verdict: Verdict
    reason: str
    hint: str = ""
    overrides: frozenset[str] = frozenset()
    label: str = ""

    @property
    def methods(self) -> frozenset[str]:
        """The migration methods possible for an instance in this condition."""
        return self.overrides & {"live", "cold"}

    def message(self, instance: Instance) -> str:
        text = self.reason.format(
            task_state=instance.task_state, power_state=instance.power_state.value
        )
        if not self.hint:
            return text
        # "reason: hint", or "label: reason; hint" when the reason already has a colon.
        return f"{text}{'; ' if ':' in text else ': '}{self.hint}"


_V = Verdict
_ALL = frozenset({"live", "cold", "skip"})

STATE_POLICY: Mapping[str, PolicyRule] = MappingProxyType(
    {
        "active": PolicyRule(
            verdict=_V.LIVE, reason="running: live-migrate", overrides=_ALL, label="running"
        ),
        "active-not-running": PolicyRule(
            verdict=_V.BLOCKED,
            reason="active but its power state is '{power_state}'",
            hint="stop it (then it is cold-migrated) or start it (then it is live-migrated), "
            "or pass --policy active-not-running=cold",
            overrides=frozenset({"cold", "skip"}),
            label="active but not running",
        ),
        "stopped": PolicyRule(
            verdict=_V.COLD,
            reason="shut off: cold-migrate",
            overrides=frozenset({"cold", "skip"}),
            label="stopped",
        ),
        "paused": PolicyRule(
            verdict=_V.LIVE,
            reason="paused: live-migrate (it stays paused)",
            overrides=frozenset({"live", "skip"}),
            label="paused",
        ),
        "suspended": PolicyRule(
            verdict=_V.BLOCKED,
            reason="suspended instances cannot be migrated",
            hint="resume it, or pass --policy suspended=skip to leave it on the host",
            overrides=frozenset({"skip"}),
        ),
        "error": PolicyRule(
            verdict=_V.BLOCKED,
            reason="the instance is in error",
            hint="repair it in the cloud (e.g. `nova reset-state --active` once the guest is "
            "healthy), or pass --policy error=skip to leave it on the host",
            overrides=frozenset({"skip"}),
            label="in error",
        ),
        "resized": PolicyRule(
            verdict=_V.BLOCKED,
            reason="a resize is waiting for confirmation",
            hint="confirm or revert the resize first, or pass --policy resized=skip",
            overrides=frozenset({"skip"}),
        ),
        "rescued": PolicyRule(
            verdict=_V.BLOCKED,
            reason="the instance is in rescue mode",
            hint="unrescue it first, or pass --policy rescued=skip",
            overrides=frozenset({"skip"}),
        ),
        "building": PolicyRule(
            verdict=_V.BLOCKED,
            reason="the instance is still building",
            hint="wait for the build to finish and retry, or pass --policy building=skip",
            overrides=frozenset({"skip"}),
        ),
        "shelved": PolicyRule(
            verdict=_V.SKIP,
            reason="shelved: powered off and kept as a snapshot, left on the host",
            hint="offload it (shelve-offload) to free the host",
            overrides=frozenset({"skip"}),
        ),
        "shelved_offloaded": PolicyRule(
            verdict=_V.SKIP, reason="shelved and offloaded: nothing on the host"
        ),
        "deleted": PolicyRule(verdict=_V.SKIP, reason="deleted: nothing on the host"),
        "soft-delete": PolicyRule(verdict=_V.SKIP, reason="soft-deleted: nothing on the host"),
        "busy": PolicyRule(
            verdict=_V.BLOCKED,
            reason="busy: task_state '{task_state}'",
            hint="wait for it to finish and retry",
        ),
        "locked": PolicyRule(
            verdict=_V.BLOCKED,
            reason="locked by its owner",
            hint="unlock it or pass --allow-locked",
            overrides=frozenset({"skip"}),
        ),
    }
)

_NOTHING_ON_HOST = {
    VmState.DELETED: "deleted",
    VmState.SOFT_DELETED: "soft-delete",
    VmState.SHELVED_OFFLOADED: "shelved_offloaded",
}


def condition(instance: Instance, *, allow_locked: bool = False) -> str:
    """The ``STATE_POLICY`` row that applies to ``instance`` (precedence in the module doc)."""
    if instance.vm_state in _NOTHING_ON_HOST:
        return _NOTHING_ON_HOST[instance.vm_state]
    if instance.task_state is not None:
        return "busy"
    if instance.locked and not allow_locked:
        return "locked"
    if instance.vm_state is VmState.ACTIVE and instance.power_state is not PowerState.RUNNING:
        return "active-not-running"
    return instance.vm_state.value


def is_live_guest(instance: Instance) -> bool:
    """A guest that is running (or paused in memory): it dies with its host."""
    return instance.power_state in (PowerState.RUNNING, PowerState.PAUSED)


def parse_state_policy(
    pairs: Iterable[tuple[str, str]], *, allow_locked: bool = False
) -> dict[str, Verdict]:
    """Validated ``--policy CONDITION=ACTION`` overrides; ``ValueError`` says what is wrong.

    A condition given twice is refused (the last one silently winning hides a typo), and so is
    ``locked=...`` with ``allow_locked``: that says to move locked instances by their state, so
    the ``locked`` row would never apply and its override would be silently ignored."""
    parsed: dict[str, Verdict] = {}
    for raw_state, raw_action in pairs:
        state, action = raw_state.strip().lower(), raw_action.strip().lower()
        if state in parsed:
            raise ValueError(
                f"--policy {state} is given twice ({state}={parsed[state].value} and "
                f"{state}={action}): give one action per state"
            )
        if state == "locked" and allow_locked:
            raise ValueError(
                f"--policy locked={action} contradicts --allow-locked (which moves locked "
                "instances by their state): give one of them"
            )
        if state not in STATE_POLICY:
            known = ", ".join(STATE_POLICY)
            raise ValueError(f"--policy {raw_state}={raw_action}: unknown state; known: {known}")
        if action not in ACTIONS:
            raise ValueError(
                f"--policy {raw_state}={raw_action}: unknown action; use live, cold or skip"
            )
        allowed = STATE_POLICY[state].overrides
        if action not in allowed:
            possible = ", ".join(sorted(allowed)) if allowed else "none (nothing to decide)"
            raise ValueError(
                f"--policy {state}={action} is not possible; for {state} instances: {possible}"
            )
        parsed[state] = ACTIONS[action]
    return parsed


def decide(instance: Instance, options: JobOptions) -> tuple[Verdict, str]:
    """The verdict for ``instance`` under ``options``, with a reason a person can act on."""
    cond = condition(instance, allow_locked=options.allow_locked)
    rule = STATE_POLICY[cond]
    overrides = parse_state_policy(options.state_policy, allow_locked=options.allow_locked)
    if cond in overrides:
        verdict = overrides[cond]
        reason = f"{cond}: {verdict.value} by policy {cond}={verdict.value}"
        if verdict is Verdict.SKIP and is_live_guest(instance) and not options.allow_skip_running:
            return (
                Verdict.BLOCKED,
                f"{cond}: --policy {cond}=skip would leave a {instance.power_state.value} guest "
                "on the host, and it dies when the host goes down; pass --allow-skip-running "
                "to accept that",
            )
    else:
        verdict, reason = rule.verdict, rule.message(instance)
    forced = options.force_method
    if forced is None or not verdict.moves or verdict.value == forced.value:
        return verdict, reason
    if forced.value not in rule.methods:
        only = " or ".join(f"{m}-migrated" for m in sorted(rule.methods))
        return (
            Verdict.BLOCKED,
            f"--{forced.value} asked but instance is {rule.label}; "
            f"an instance that is {rule.label} can only be {only}",
        )
    return Verdict(forced.value), f"{cond}: {forced.value}-migrate, forced by --{forced.value}"
