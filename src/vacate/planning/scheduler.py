"""Choose one destination for one instance: filter, weigh, pick the best.

Every host stops at its first failing filter. When no host is left, the answer says which
filter removed how many hosts with one example reason each — Nova's most useful log line, made
data (``Placement.rejections``) so the CLI, the API and the plan can all show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vacate.domain.model import HostName
from vacate.planning.filters import DEFAULT_FILTERS, Filter, FilterResult, RequestSpec, get_filters
from vacate.planning.hoststate import HostState
from vacate.planning.weighers import Weigher, weigh


@dataclass(frozen=True)
class Rejection:
    """``filter`` removed ``hosts`` hosts; ``example`` is the reason for the first (by name)."""

    filter: str
    hosts: int
    example: str

    def describe(self) -> str:
        noun = "host" if self.hosts == 1 else "hosts"
        return f"{self.filter} removed {self.hosts} {noun} ({self.example})"


@dataclass(frozen=True)
class Placement:
    """Where an instance goes (``host``), or ``None`` and why nothing fits."""

    host: HostName | None
    reason: str
    rejections: tuple[Rejection, ...]

    @property
    def found(self) -> bool:
        return self.host is not None


def first_failure(
    host: HostState, spec: RequestSpec, filters: Sequence[Filter]
) -> tuple[int, FilterResult] | None:
    """The position and result of the first filter ``host`` fails, or ``None``."""
    for index, check in enumerate(filters):
        result = check(host, spec)
        if not result.passed:
            return index, result
    return None


def select_destination(
    spec: RequestSpec,
    host_states: Mapping[HostName, HostState],
    *,
    filters: Sequence[Filter] | None = None,
    weighers: Sequence[Weigher] | None = None,
) -> Placement:
    """The best host for ``spec`` among ``host_states`` (looked at in name order)."""
    if filters is None and weighers is None and spec.target is not None:
        return _select_target(spec, host_states)
    chosen_filters = get_filters(DEFAULT_FILTERS) if filters is None else list(filters)
    passed: list[HostState] = []
    removed: dict[int, list[FilterResult]] = {}
    for name in sorted(host_states):
        failure = first_failure(host_states[name], spec, chosen_filters)
        if failure is None:
            passed.append(host_states[name])
        else:
            removed.setdefault(failure[0], []).append(failure[1])
    rejections = rejections_of(
        spec, host_states, {i: (len(results), results[0]) for i, results in removed.items()}
    )
    if not passed:
        return no_valid_host(spec, host_states, rejections)
    ranked = weigh(passed, spec, weighers)
    best, score = ranked[0]
    return chosen(best.name, len(ranked), score, rejections)


# -- the answer's wording, shared by every way of reaching it (here and ``placer``) ------------


def rejections_of(
    spec: RequestSpec,
    host_states: Mapping[HostName, HostState],
    removed: Mapping[int, tuple[int, FilterResult]],
) -> tuple[Rejection, ...]:
    """``removed``: filter position → (hosts it removed, the result of the first by name).

    The hosts that are not the destination asked for are a reason only for an operator's
    --target, or when the destination is not a host at all."""
    unknown_target = spec.target is not None and spec.target not in host_states
    return tuple(
        Rejection(filter=first.filter, hosts=count, example=first.detail)
        for _, (count, first) in sorted(removed.items())
        if first.filter != "TargetHostFilter" or spec.target_requested or unknown_target
    )


def no_valid_host(
    spec: RequestSpec, host_states: Mapping[HostName, HostState], rejections: tuple[Rejection, ...]
) -> Placement:
    what = spec.instance.name
    if not host_states:
        return Placement(None, f"no valid host for {what}: no hosts to consider", ())
    summary = "; ".join(r.describe() for r in rejections)
    return Placement(None, f"no valid host for {what}: {summary}", rejections)


def chosen(
    host: HostName, valid: int, score: float, rejections: tuple[Rejection, ...]
) -> Placement:
    noun = "host" if valid == 1 else "hosts"
    return Placement(host, f"{host}: best of {valid} valid {noun} (weight {score:.2f})", rejections)


def _select_target(spec: RequestSpec, host_states: Mapping[HostName, HostState]) -> Placement:
    """``select_destination`` with a target and the default filters, without running them on
    every host: any other host fails the SourceHostFilter (the source) or the TargetHostFilter,
    so only the target is checked in full and the others are counted (same answer, by name).
    A destination the engine asks for itself (not ``target_requested``) that is a host never
    blames the others on the TargetHostFilter (``rejections_of``): they are not even counted,
    so re-checking a planned destination needs neither every host's name nor their number."""
    filters = get_filters(DEFAULT_FILTERS)
    source_at, target_at = (
        DEFAULT_FILTERS.index("SourceHostFilter"),
        DEFAULT_FILTERS.index("TargetHostFilter"),
    )
    removed: dict[int, tuple[int, FilterResult]] = {}
    if spec.source is not None and spec.source in host_states and spec.source != spec.target:
        removed[source_at] = (1, filters[source_at](host_states[spec.source], spec))
    target_known = spec.target is not None and spec.target in host_states
    if spec.target_requested or not target_known:
        count, first = _others(host_states, spec)
        if first is not None:
            removed[target_at] = (count, filters[target_at](host_states[first], spec))
    passed: list[HostState] = []
    if spec.target is not None and target_known:
        target = host_states[spec.target]
        failure = first_failure(target, spec, filters)
        if failure is None:
            passed.append(target)
        else:  # never the Target filter; the Source filter only when the source is the target
            removed[failure[0]] = (1, failure[1])
    rejections = rejections_of(spec, host_states, removed)
    if not passed:
        return no_valid_host(spec, host_states, rejections)
    best, score = weigh(passed, spec)[0]
    return chosen(best.name, 1, score, rejections)


def _others(
    host_states: Mapping[HostName, HostState], spec: RequestSpec
) -> tuple[int, HostName | None]:
    """How many hosts are neither the target nor the source, and the first of them by name;
    read off the names' order when the mapping keeps one (``sorted_names``), not by a scan."""
    ordered = getattr(host_states, "sorted_names", None)
    if ordered is None:
        others = [n for n in host_states if n != spec.target and n != spec.source]
        return len(others), (min(others) if others else None)
    names: Sequence[HostName] = ordered()
    target_in = spec.target is not None and spec.target in host_states
    source_in = (
        spec.source is not None and spec.source != spec.target and spec.source in host_states
    )
    first = next((n for n in names if n != spec.target and n != spec.source), None)
    return len(names) - target_in - source_in, first
