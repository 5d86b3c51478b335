"""The drain plan: a verdict, a destination and an order for every instance, before anything moves.

``plan_drain`` decides each instance's verdict from the per-state policy, then places all the
movers *at once* on a working copy of the host states, reserving capacity and server-group
membership after each placement: two instances never count on the same free space, and an
anti-affinity group cannot be squeezed onto one host by two placements that each looked fine
alone. Hardest first (hard-group members, then the largest RAM, then the name), so the
instances with the fewest options choose before the easy ones take their room. A mover that
finds no valid host becomes ``BLOCKED`` with the scheduler's "which filter removed how many"
reason. A hard-affinity group whose members all leave the source is placed as a unit: its first
member picks a host with room for the whole group, and the AffinityFilter pins the rest there.

The execution ``order`` is longest-estimated-migration first (LPT), which minimises the makespan
of a bounded-concurrency run; a dry run is this function alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from vacate.domain.jobs import JobOptions, Verdict
from vacate.domain.model import MIB, GroupId, HostName, Instance, ServerGroup
from vacate.domain.prediction import Approach, Prediction
from vacate.planning.affinity import group_hosts_of, hard_groups, place_with_affinity_unit
from vacate.planning.estimate import live_migration_seconds
from vacate.planning.filters import RequestSpec
from vacate.planning.hoststate import HostState
from vacate.planning.placer import Placer
from vacate.planning.policy import decide, is_live_guest
from vacate.planning.schedule import (
    LinkModel,
    MoveSpec,
    ScheduleLimits,
    cold_copy_bytes,
    schedule_drain,
)
from vacate.planning.scheduler import Placement
from vacate.planning.workloads import workload_of


@dataclass(frozen=True, kw_only=True)
class PlanItem:
    """One instance's part of the plan."""

    instance: Instance
    verdict: Verdict
    destination: HostName | None
    reason: str
    order: int
    estimate_s: float | None = None
    #: What the drain schedule expects of this move (movers only, when the NIC is known).
    prediction: Prediction | None = None


@dataclass(frozen=True, kw_only=True)
class DrainPlan:
    """Every instance of ``source`` with its verdict, in execution order."""

    source: HostName
    items: tuple[PlanItem, ...]
    #: Moves the schedule runs at once on the source (``None``: no NIC speed, no schedule).
    streams: int | None = None
    #: The schedule's expected makespan in seconds.
    makespan_s: float | None = None

    @property
    def movable(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.verdict.moves and i.destination is not None)

    @property
    def blocked(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.verdict is Verdict.BLOCKED)

    @property
    def skipped(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.verdict is Verdict.SKIP)

    @property
    def ok(self) -> bool:
        """Nothing is blocked: the drain can empty the host of everything that must move."""
        return not self.blocked

    def item(self, name: str) -> PlanItem:
        for item in self.items:
            if item.instance.name == name:
                return item
        raise KeyError(name)

    @property
    def left_running(self) -> tuple[PlanItem, ...]:
        """Skipped instances whose guest runs: they stay on the host and die with it."""
        return tuple(i for i in self.skipped if is_live_guest(i.instance))

    def summary(self) -> str:
        live = sum(1 for i in self.movable if i.verdict is Verdict.LIVE)
        cold = len(self.movable) - live
        n = len(self.items)
        running = f" ({len(self.left_running)} of them running)" if self.left_running else ""
        text = (
            f"drain {self.source}: {n} instance{'' if n == 1 else 's'}, "
            f"{live} live, {cold} cold, {len(self.skipped)} skipped{running}, "
            f"{len(self.blocked)} blocked"
        )
        if self.blocked:
            names = ", ".join(i.instance.name for i in self.blocked)
            return f"{text}; not ready: blocked {names}"
        return f"{text}; ready"


_NOWHERE = Placement(None, "", ())


@dataclass(frozen=True, kw_only=True)
class _Link:
    """The source NIC as the drain will share it: ``streams`` migrations at once, each held
    to the per-stream cap."""

    nic: float
    streams: int
    cap: float
    throttle_initial: bool = False

    @property
    def share(self) -> float:
        return min(self.cap, self.nic / self.streams)


def _estimate(instance: Instance, verdict: Verdict, link: _Link | None) -> float | None:
    """Live migrations only, at their fair share of the source NIC among as many streams as
    the limits let run (convergence is judged there: a guest that outpaces its share while the
    others send never converges alone)."""
    if verdict is not Verdict.LIVE or link is None:
        return None
    workload = workload_of(instance)
    return live_migration_seconds(
        workload, link.nic, streams=link.streams, stream_cap_bytes_per_s=link.cap
    )


def plan_drain(
    *,
    source: HostName,
    instances: Sequence[Instance],
    host_states: Mapping[HostName, HostState],
    groups: Mapping[GroupId, ServerGroup],
    options: JobOptions,
    az: str | None = None,
    bandwidth: float | None = None,
    stream_cap: float | None = None,
    throttle_initial: bool = False,
) -> DrainPlan:
    """The whole drain of ``source`` decided at once (see the module doc).

    ``instances`` are the instances on ``source``; ``host_states`` describe every host,
    including the source and including these instances' current usage. ``bandwidth`` (bytes/s)
    defaults to the source host's NIC speed when known; without it no time is estimated. It is
    shared by as many live migrations as the limits let run at once, each held to
    ``stream_cap`` (bytes/s, none by default). ``throttle_initial``: the backend takes
    auto-converge's first throttle per migration (the schedule may choose it).
    """
    if bandwidth is None and source in host_states:
        bandwidth = host_states[source].host.nic_bytes_per_s or None
    decided = {i.id: decide(i, options) for i in instances}
    if source in host_states and not host_states[source].host.is_up:
        down = (
            f"host {source} is down: its instances cannot be migrated, they need evacuation "
            "once the host is fenced (report the host down)"
        )
        decided = {
            k: (Verdict.BLOCKED, down) if v.moves else (v, r) for k, (v, r) in decided.items()
        }
    movers = sorted(
        (i for i in instances if decided[i.id][0].moves),
        key=lambda i: (not hard_groups(i, groups), -i.flavor.ram_mb, i.name),
    )
    placer = Placer(host_states)
    working = placer.states
    placements: dict[str, Placement] = {}
    for instance in movers:
        group_hosts = group_hosts_of(instance, working, source)
        spec = RequestSpec(
            instance=instance,
            groups=groups,
            source=source,
            az=az,
            target=options.target,
            group_hosts=group_hosts,
        )
        placement = place_with_affinity_unit(spec, movers, placer, placements)
        placements[instance.id] = placement
        if placement.host is not None:
            placer.update(placement.host, working[placement.host].with_instance(instance))

    live = sum(
        1
        for i in instances
        if decided[i.id][0] is Verdict.LIVE and placements.get(i.id, _NOWHERE).host is not None
    )
    link = (
        _Link(
            nic=bandwidth,
            streams=max(1, min(options.max_parallel, options.max_per_source, live)),
            cap=stream_cap or math.inf,
            throttle_initial=throttle_initial,
        )
        if bandwidth and bandwidth > 0
        else None
    )
    drafts: list[PlanItem] = []
    for instance in instances:
        verdict, reason = decided[instance.id]
        destination: HostName | None = None
        if instance.id in placements:
            placement = placements[instance.id]
            if placement.host is None:
                verdict, reason = Verdict.BLOCKED, placement.reason
            else:
                destination, reason = placement.host, f"{reason}; to {placement.reason}"
        estimate = _estimate(instance, verdict, link) if destination else None
        unscheduled = link is not None and options.fixed_limits
        if destination and verdict is Verdict.LIVE and unscheduled and estimate is None:
            assert link is not None
            shared = f", {link.streams} streams sharing the source NIC" if link.streams > 1 else ""
            reason += (
                f"; pre-copy will not converge at {link.share / MIB:.0f} MiB/s{shared} "
                "(dirty rate too high): expect escalation"
            )
        drafts.append(
            PlanItem(
                instance=instance,
                verdict=verdict,
                destination=destination,
                reason=reason,
                order=0,
                estimate_s=estimate,
            )
        )

    def execution_key(item: PlanItem) -> tuple[bool, float, int, str]:
        moves = item.verdict.moves and item.destination is not None
        # Unknown durations (cold, non-converging) are assumed long: they start first.
        longest = math.inf if item.estimate_s is None else item.estimate_s
        if not moves:
            return (True, 0.0, 0, item.instance.name)
        return (False, -longest, -item.instance.flavor.ram_mb, item.instance.name)

    ordered = sorted(drafts, key=execution_key)
    items = tuple(replace(item, order=n) for n, item in enumerate(ordered, start=1))
    if link is None or options.fixed_limits:
        return DrainPlan(source=source, items=items)
    return _scheduled(source, items, host_states, link, options)


_HOW = {
    Approach.PRE_COPY: "pre-copy",
    Approach.POST_COPY: "post-copy at once",
    Approach.AUTO_CONVERGE: "auto-converge from the start",
    Approach.COLD: "cold",
}


def _with_prediction(item: PlanItem, prediction: Prediction | None) -> PlanItem:
    """The item with its prediction; a live move's reason says how it will move and why."""
    if prediction is None:
        return item
    how = _HOW[prediction.approach]
    why = f"; {how} ({prediction.why})" if item.verdict is Verdict.LIVE else ""
    return replace(item, prediction=prediction, reason=item.reason + why)


def _scheduled(
    source: HostName,
    items: tuple[PlanItem, ...],
    host_states: Mapping[HostName, HostState],
    link: _Link,
    options: JobOptions,
) -> DrainPlan:
    """The plan with the drain schedule's stream count and per-move predictions."""
    moves = [
        MoveSpec(
            key=item.instance.id,
            dest=item.destination,
            dest_nic_bytes_per_s=host_states[item.destination].host.nic_bytes_per_s or link.nic,
            workload=workload_of(item.instance) if item.verdict is Verdict.LIVE else None,
            cold_bytes=cold_copy_bytes(item.instance.flavor.disk_gb),
        )
        for item in items
        if item.verdict.moves and item.destination is not None
    ]
    schedule = schedule_drain(
        moves,
        LinkModel(
            source_nic_bytes_per_s=link.nic,
            stream_cap_bytes_per_s=link.cap,
            throttle_initial=link.throttle_initial,
            max_downtime_s=None
            if options.max_downtime_ms is None
            else options.max_downtime_ms / 1000,
        ),
        ScheduleLimits(
            max_streams=min(options.max_parallel, options.max_per_source),
            max_per_destination=options.max_per_destination,
            allow_post_copy=options.allow_post_copy,
        ),
    )
    predicted = tuple(
        _with_prediction(item, schedule.predictions.get(item.instance.id)) for item in items
    )
    return DrainPlan(
        source=source,
        items=predicted,
        streams=schedule.streams if moves else None,
        makespan_s=schedule.makespan_s if moves else None,
    )
