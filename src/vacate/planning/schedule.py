"""The drain scheduled from the migration model: how each guest moves, and how many at once.

Per live guest the approach is decided up front, at the bandwidth it will really see (its fair
share of the source NIC among the streams in flight, its stream cap, its destination's NIC):

- **pre-copy** when the passes converge on their own without re-sending more than
  ``resend_limit`` × the guest's touched memory;
- otherwise **post-copy at once** where the policy allows it: the guest runs on the destination
  from the start and pulls its touched memory there, each page exactly once (a first pre-copy
  pass would have to re-send everything dirtied while it ran), and the downtime is one switch;
- otherwise **auto-converge from the start** when the throttled passes converge: waiting for a
  stall first only re-sends the same memory. Where the backend takes a first throttle (QEMU's
  ``cpu-throttle-initial``), the plan picks the one that ends the migration soonest, so the
  guest is slowed for the shortest time (the gentler among equals): from QEMU's 20 % the
  throttle climbs 10 % every second stalled pass, each pass re-sending the working set;
- otherwise pre-copy, and the engine's escalation ladder acts (the plan says so).

How many moves run at once is computed, not a fixed knob: every count from one up to the job's
ceiling (``max_parallel``/``max_per_source``; ``max_per_destination`` per destination) is played
through a fluid model of the drain — setups overlap, transfers share the source and destination
NICs max-min fairly, each stream held to its cap — and the count with the shortest makespan wins
(the smallest among equals: fewer streams are kinder to the guests). Enough streams keep the
source NIC full through the other moves' setups; more only slow each stream, and a busy guest
that converges at a third of the NIC does not at a tenth. The same play gives each move its
expected start, duration and downtime.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from vacate.domain.model import GIB, HostName, Workload
from vacate.domain.prediction import Approach, Prediction
from vacate.planning.estimate import AutoConverge, Controls, LiveEstimate, Network, estimate_live
from vacate.planning.fluid import play

#: Pre-copy that would send more than this many times the touched memory goes post-copy.
RESEND_LIMIT = 2.0
#: Counts beyond ``_HEADROOM × (NIC ÷ stream cap) + 1`` only divide the NIC thinner: not tried.
_HEADROOM = 4
#: Counts in a row clearly worse than the best so far before the search stops.
_GIVE_UP = 3
#: First throttles tried for a guest that converges only throttled (QEMU's default first).
THROTTLES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99)
#: A stronger first throttle must end the migration this much sooner to be chosen.
_THROTTLE_GAIN = 0.01


@dataclass(frozen=True, kw_only=True)
class LinkModel:
    """The figures of the cloud the schedule plays with (the simulated cloud's defaults, which
    are QEMU's and Nova's)."""

    source_nic_bytes_per_s: float
    stream_cap_bytes_per_s: float = math.inf
    live_setup_s: float = 5.0
    cold_setup_s: float = 10.0
    #: The backend's downtime limit (QEMU's 300 ms).
    downtime_limit_s: float = 0.3
    switchover_s: float = 0.05
    #: ``--max-downtime``: the longest pause allowed, switch-over included.
    max_downtime_s: float | None = None
    #: QEMU ``max-postcopy-bandwidth`` (unlimited by default).
    postcopy_cap_bytes_per_s: float = math.inf
    #: The backend takes auto-converge's first throttle per migration.
    throttle_initial: bool = False


@dataclass(frozen=True, kw_only=True)
class MoveSpec:
    """One move to schedule, in the plan's execution order."""

    key: str
    dest: HostName
    dest_nic_bytes_per_s: float
    #: Live moves: the guest's workload; ``None`` for a cold move.
    workload: Workload | None
    #: Cold moves: the bytes the copy sends.
    cold_bytes: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ScheduleLimits:
    max_streams: int
    max_per_destination: int
    allow_post_copy: bool = True
    resend_limit: float = RESEND_LIMIT


@dataclass(frozen=True, kw_only=True)
class Schedule:
    streams: int
    makespan_s: float
    predictions: dict[str, Prediction]


def planned_downtime_limit_s(link: LinkModel) -> float:
    """The downtime limit a scheduled pre-copy runs with: a guest's pause as short as alone.

    QEMU stops a guest once its pending set fits the limit at the pass's rate; alone, a stream
    runs at its cap and the final copy at the whole NIC, so the pause is shorter than the limit
    by ``cap ÷ NIC``. Among other streams both rates are the NIC's share, and the same limit
    would pause the guest that much longer: the limit is lowered by that ratio.
    """
    alone = link.downtime_limit_s * min(
        1.0, link.stream_cap_bytes_per_s / link.source_nic_bytes_per_s
    )
    if link.max_downtime_s is None:
        return alone
    return min(alone, limit_within(link.max_downtime_s, link.switchover_s))


def limit_within(max_downtime_s: float, switchover_s: float = 0.05) -> float:
    """The downtime limit that keeps a pause under ``max_downtime_s``: the limit bounds the
    final copy, and the switch-over's own cost comes on top (never under 10 ms)."""
    return max(0.01, max_downtime_s - switchover_s)


def cold_copy_bytes(disk_gb: float) -> float:
    """What a cold migration copies: the used part of the root disk (a tenth, at least 1 GiB)."""
    return max(1.0 * GIB, 0.1 * disk_gb * GIB)


@dataclass(frozen=True)
class _Choice:
    approach: Approach
    estimate: LiveEstimate | None
    why: str
    throttle_initial: float | None = None


def _throttled(
    workload: Workload, network: Network, controls: Controls, link: LinkModel
) -> tuple[float, LiveEstimate]:
    """The first throttle that ends the throttled passes soonest, and their estimate (QEMU's
    default alone when the backend takes no other)."""

    def throttled_from(initial: float) -> LiveEstimate:
        ac = AutoConverge(initial=initial)
        return estimate_live(workload, network, replace(controls, auto_converge=ac))

    tried = THROTTLES if link.throttle_initial else THROTTLES[:1]
    best = (tried[0], throttled_from(tried[0]))
    for initial in tried[1:]:
        estimate = throttled_from(initial)
        if estimate.total_s is None:
            continue
        if best[1].total_s is None or estimate.total_s < best[1].total_s * (1 - _THROTTLE_GAIN):
            best = (initial, estimate)
    return best


def choose_approach(
    workload: Workload, network: Network, link: LinkModel, limits: ScheduleLimits
) -> _Choice:
    """How one live guest should move at the bandwidth ``network`` gives it (module doc)."""
    base = Controls(
        downtime_limit_s=planned_downtime_limit_s(link),
        setup_s=link.live_setup_s,
        switchover_s=link.switchover_s,
    )
    plain = estimate_live(workload, network, base)
    touched = max(workload.touched_bytes, 1.0)
    rate = network.fair_share_bytes_per_s
    if plain.converges and (plain.sent_bytes or 0.0) <= limits.resend_limit * touched:
        return _Choice(Approach.PRE_COPY, plain, "pre-copy converges")
    trouble = (
        f"pre-copy re-sends {(plain.sent_bytes or 0.0) / touched:.1f}× its memory"
        if plain.converges
        else f"pre-copy will not converge at {rate / 2**20:.0f} MiB/s"
    )
    if limits.allow_post_copy:
        post = estimate_live(
            workload,
            network,
            Controls(
                downtime_limit_s=planned_downtime_limit_s(link),
                setup_s=link.live_setup_s,
                switchover_s=link.switchover_s,
                post_copy_after_s=0.0,
            ),
        )
        return _Choice(Approach.POST_COPY, post, trouble)
    initial, throttled = _throttled(workload, network, base, link)
    if throttled.converges:
        if not link.throttle_initial:
            return _Choice(Approach.AUTO_CONVERGE, throttled, trouble)
        return _Choice(
            Approach.AUTO_CONVERGE,
            throttled,
            f"{trouble}; throttled from {initial:.0%}",
            throttle_initial=initial,
        )
    if plain.converges:
        return _Choice(Approach.PRE_COPY, plain, trouble)
    return _Choice(Approach.PRE_COPY, None, f"{trouble}, even throttled: expect escalation")


def _candidates(n: int, link: LinkModel, limits: ScheduleLimits) -> range:
    ceiling = min(limits.max_streams, n)
    fill = max(1, math.ceil(link.source_nic_bytes_per_s / link.stream_cap_bytes_per_s))
    return range(1, max(1, min(ceiling, _HEADROOM * fill + 1)) + 1)


def _network(spec: MoveSpec, link: LinkModel, streams: int) -> Network:
    return Network(
        source_nic_bytes_per_s=link.source_nic_bytes_per_s,
        dest_nic_bytes_per_s=spec.dest_nic_bytes_per_s,
        streams=streams,
        stream_cap_bytes_per_s=link.stream_cap_bytes_per_s,
    )


def schedule_at(
    moves: Sequence[MoveSpec], link: LinkModel, limits: ScheduleLimits, streams: int
) -> Schedule:
    choices: dict[str, _Choice] = {}
    work: dict[str, tuple[float, float, float]] = {}
    for spec in moves:
        if spec.workload is None:
            choices[spec.key] = _Choice(Approach.COLD, None, "cold")
            work[spec.key] = (link.cold_setup_s, spec.cold_bytes, link.stream_cap_bytes_per_s)
            continue
        choice = choose_approach(spec.workload, _network(spec, link, streams), link, limits)
        choices[spec.key] = choice
        # A move the model cannot finish is played as one at the worst: its working set sent
        # for as long as the escalation ladder takes (its bytes several times over).
        sent = (
            choice.estimate.sent_bytes
            if choice.estimate is not None and choice.estimate.sent_bytes is not None
            else 4 * spec.workload.touched_bytes
        )
        # The post-copy pull is held to max-postcopy-bandwidth, not to the pre-copy stream cap.
        cap = (
            link.postcopy_cap_bytes_per_s
            if choice.approach is Approach.POST_COPY
            else link.stream_cap_bytes_per_s
        )
        work[spec.key] = (link.live_setup_s, sent, cap)
    times = play(moves, work, streams, link, max_per_destination=limits.max_per_destination)
    predictions: dict[str, Prediction] = {}
    for spec in moves:
        start, end = times.get(spec.key, (math.inf, math.inf))
        choice = choices[spec.key]
        downtime = (
            choice.estimate.downtime_s
            if choice.estimate is not None and spec.workload is not None
            else None
        )
        precopy = choice.approach in (Approach.PRE_COPY, Approach.AUTO_CONVERGE)
        predictions[spec.key] = Prediction(
            approach=choice.approach,
            downtime_limit_ms=planned_downtime_limit_s(link) * 1000 if precopy else None,
            start_s=start,
            duration_s=end - start,
            downtime_s=downtime,
            sent_bytes=work[spec.key][1],
            streams=streams,
            why=choice.why,
            throttle_initial=choice.throttle_initial,
        )
    makespan = max((p.end_s for p in predictions.values()), default=0.0)
    return Schedule(streams=streams, makespan_s=makespan, predictions=predictions)


def schedule_drain(moves: Sequence[MoveSpec], link: LinkModel, limits: ScheduleLimits) -> Schedule:
    """The fastest stream count for ``moves`` (in execution order), with every prediction."""
    if not moves:
        return Schedule(streams=1, makespan_s=0.0, predictions={})
    best: Schedule | None = None
    worse = 0
    for streams in _candidates(len(moves), link, limits):
        trial = schedule_at(moves, link, limits, streams)
        # 1 % better, or it is not worth the thinner share each guest gets.
        if best is None or trial.makespan_s < best.makespan_s * 0.99:
            best, worse = trial, 0
        elif trial.makespan_s > best.makespan_s * 1.05:
            worse += 1
            if worse == _GIVE_UP:  # past the best count the makespan only grows
                break
    assert best is not None
    return best
