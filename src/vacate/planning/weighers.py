"""Weighers: rank the hosts that passed every filter (Nova's ``nova/scheduler/weights``).

Each weigher returns a raw number per host ("more is better"). ``weigh`` normalises every weigher
over the candidate hosts to 0..1 (min-max; all equal gives 0 to all, so a weigher that cannot
tell hosts apart has no say), multiplies by the weigher's multiplier and sums. Raw values are
in different units (MB, vCPUs, members), which is why they are normalised before they are
mixed. The defaults spread load: the host with the most free RAM wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from vacate.domain.model import GroupPolicy
from vacate.planning.filters import RequestSpec
from vacate.planning.hoststate import HostState

WeighFn = Callable[[HostState, RequestSpec], float]


@dataclass(frozen=True)
class Weigher:
    name: str
    fn: WeighFn
    multiplier: float


def ram_weight(host: HostState, spec: RequestSpec) -> float:
    """Free RAM in MB: spreads (more free RAM wins)."""
    return host.ram_mb_free


def vcpu_weight(host: HostState, spec: RequestSpec) -> float:
    """Free vCPUs (after allocation ratio)."""
    return host.vcpus_free


def soft_anti_affinity_weight(host: HostState, spec: RequestSpec) -> float:
    """Minus the members of the instance's soft-anti-affinity groups on the host."""
    groups = spec.groups_with(GroupPolicy.SOFT_ANTI_AFFINITY)
    return -float(sum(host.members(g.id) for g in groups))


def soft_affinity_weight(host: HostState, spec: RequestSpec) -> float:
    """Plus the members of the instance's soft-affinity groups on the host."""
    groups = spec.groups_with(GroupPolicy.SOFT_AFFINITY)
    return float(sum(host.members(g.id) for g in groups))


def instance_count_weight(host: HostState, spec: RequestSpec) -> float:
    """Minus the number of instances on the host."""
    return -float(host.instance_count)


WEIGHERS: dict[str, Weigher] = {
    w.name: w
    for w in (
        Weigher("RamWeigher", ram_weight, 1.0),
        Weigher("VcpuWeigher", vcpu_weight, 0.5),
        Weigher("SoftAntiAffinityWeigher", soft_anti_affinity_weight, 1.0),
        Weigher("SoftAffinityWeigher", soft_affinity_weight, 1.0),
        Weigher("InstanceCountWeigher", instance_count_weight, 0.25),
    )
}

DEFAULT_WEIGHERS: tuple[str, ...] = tuple(WEIGHERS)


def get_weighers(
    names: Iterable[str] = DEFAULT_WEIGHERS,
    *,
    multipliers: Mapping[str, float] | None = None,
) -> list[Weigher]:
    """The weighers named, with multipliers overridden by name; unknown names raise."""
    multipliers = dict(multipliers or {})
    chosen: list[Weigher] = []
    for name in names:
        if name not in WEIGHERS:
            raise ValueError(f"unknown weigher {name!r}; known weighers: {', '.join(WEIGHERS)}")
        weigher = WEIGHERS[name]
        if name in multipliers:
            weigher = replace(weigher, multiplier=multipliers.pop(name))
        chosen.append(weigher)
    if multipliers:
        unknown = ", ".join(sorted(multipliers))
        raise ValueError(f"multiplier given for weigher(s) not in use: {unknown}")
    return chosen


def normalise(values: Sequence[float]) -> list[float]:
    """Min-max to 0..1; all equal (or a single value) gives all 0."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi == lo:
        return [0.0 for _ in values]
    return [(v - lo) / (hi - lo) for v in values]


def weigh(
    hosts: Sequence[HostState],
    spec: RequestSpec,
    weighers: Sequence[Weigher] | None = None,
) -> list[tuple[HostState, float]]:
    """Hosts with their total weight, best first; equal weights are ordered by host name."""
    chosen = get_weighers() if weighers is None else weighers
    totals = [0.0 for _ in hosts]
    for weigher in chosen:
        raw = [weigher.fn(host, spec) for host in hosts]
        for i, value in enumerate(normalise(raw)):
            totals[i] += weigher.multiplier * value
    ranked = list(zip(hosts, totals, strict=True))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].name))
    return ranked
