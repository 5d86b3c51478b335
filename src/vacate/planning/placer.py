"""``select_destination`` for many placements on one working set of hosts, answered incrementally.

A drain places every mover on the same host states, and each placement changes one host. So the
placer keeps, per kind of request (what the filters and weighers read: source, target, zone,
flavor, groups and where their members are), each host's first failing filter and its weigher
inputs, and re-checks only the hosts changed since that kind was last asked. The weighing runs
over the *distinct* weigher inputs of the valid hosts, not over every host: hosts with the same
inputs get the same weight, and the best of them is the first by name. The answers (host, reason,
rejections) are exactly ``select_destination``'s; a plan of 200 instances in a 10,000-host cloud
evaluates the filters about (kinds of request × hosts) times, not (instances × hosts).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import GroupPolicy, HostName
from vacate.planning.filters import DEFAULT_FILTERS, FilterResult, RequestSpec, get_filters
from vacate.planning.hoststate import HostState
from vacate.planning.scheduler import (
    Placement,
    chosen,
    first_failure,
    no_valid_host,
    rejections_of,
)
from vacate.planning.weighers import (
    Weigher,
    get_weighers,
    instance_count_weight,
    normalise,
    ram_weight,
    soft_affinity_weight,
    soft_anti_affinity_weight,
    vcpu_weight,
)

Inputs = tuple[float, ...]
_DEFAULT_FNS = [
    ram_weight,
    vcpu_weight,
    soft_anti_affinity_weight,
    soft_affinity_weight,
    instance_count_weight,
]


def request_kind(spec: RequestSpec) -> Hashable:
    """Everything a default filter or weigher reads from ``spec`` (the instance's name is not)."""
    flavor = spec.instance.flavor
    groups = tuple(
        (gid, spec.groups.get(gid), spec.group_hosts.get(gid))
        for gid in spec.instance.server_groups
    )
    return (spec.source, spec.target, spec.az, flavor.vcpus, flavor.ram_mb, flavor.disk_gb, groups)


def passes_every_filter(host: HostState, spec: RequestSpec) -> bool:
    """The default filters' verdict alone, without their reasons: True only if every one passes.

    A shortcut (the filters write a sentence per host even when it passes); a host it turns down
    goes through the filters themselves, for the reason. Kept equal to them by the placer tests.
    """
    h = host.host
    flavor = spec.instance.flavor
    if host.name == spec.source or (spec.target is not None and host.name != spec.target):
        return False
    if not h.is_enabled or h.forced_down or not h.is_up:
        return False
    if host.maintenance is not MaintenanceState.OPERATIONAL:
        return False
    if spec.az is not None and h.az != spec.az:
        return False
    if flavor.vcpus > host.vcpus_free or flavor.ram_mb > host.ram_mb_free:
        return False
    if flavor.disk_gb > host.disk_gb_free:
        return False
    for group in spec.groups_with(GroupPolicy.AFFINITY):
        where = spec.group_hosts.get(group.id, frozenset())
        if where and host.name not in where:
            return False
    return not any(
        host.name in spec.group_hosts.get(group.id, frozenset())
        for group in spec.groups_with(GroupPolicy.ANTI_AFFINITY)
    )


class _Kind:
    """One kind of request's view of every host: who passes (by weigher inputs), who fails."""

    def __init__(self, weighers: list[Weigher]) -> None:
        self.weighers = weighers
        self.default = [w.fn for w in weighers] == _DEFAULT_FNS
        self.seen: dict[HostName, tuple[HostState, tuple[int, FilterResult] | None, Inputs]] = {}
        self.valid: dict[Inputs, set[HostName]] = {}
        self.valid_count = 0
        self.removed: dict[int, dict[HostName, FilterResult]] = {}
        self.synced = 0  # position in the placer's change log

    def look(self, name: HostName, state: HostState, spec: RequestSpec, filters: list[Any]) -> None:
        old = self.seen.get(name)
        if old is not None:
            if old[0] is state:
                return
            self._drop(name, old[1], old[2])
        failure = None if passes_every_filter(state, spec) else first_failure(state, spec, filters)
        inputs: Inputs = ()
        if failure is None:
            inputs = self.inputs(state, spec)
            self.valid.setdefault(inputs, set()).add(name)
            self.valid_count += 1
        else:
            self.removed.setdefault(failure[0], {})[name] = failure[1]
        self.seen[name] = (state, failure, inputs)

    def inputs(self, state: HostState, spec: RequestSpec) -> Inputs:
        if self.default and not spec.instance.server_groups:
            # The default weighers, for an instance in no group: the soft-group weighers give
            # every host -0.0 and 0.0 (what they return for no group), the others are read here.
            return (state.ram_mb_free, state.vcpus_free, -0.0, 0.0, -float(state.instance_count))
        return tuple(w.fn(state, spec) for w in self.weighers)

    def _drop(
        self, name: HostName, failure: tuple[int, FilterResult] | None, inputs: Inputs
    ) -> None:
        if failure is None:
            names = self.valid[inputs]
            names.discard(name)
            if not names:
                del self.valid[inputs]
            self.valid_count -= 1
        else:
            del self.removed[failure[0]][name]

    def answer(self, spec: RequestSpec, states: Mapping[HostName, HostState]) -> Placement:
        removed = {i: (len(r), r[min(r)]) for i, r in self.removed.items() if r}
        rejections = rejections_of(spec, states, removed)
        if not self.valid_count:
            return no_valid_host(spec, states, rejections)
        distinct = list(self.valid)
        totals = [0.0 for _ in distinct]
        for position, weigher in enumerate(self.weighers):
            for i, value in enumerate(normalise([inputs[position] for inputs in distinct])):
                totals[i] += weigher.multiplier * value
        # The best weight, then the first name among the hosts that have it: only the tied
        # groups are searched for their first name, not every valid host.
        score = max(totals)
        best = min(min(self.valid[d]) for t, d in zip(totals, distinct, strict=True) if t == score)
        return chosen(best, self.valid_count, score, rejections)


class Placer:
    """Working host states and the placements asked of them (default filters and weighers)."""

    def __init__(self, states: Mapping[HostName, HostState]) -> None:
        self.states: dict[HostName, HostState] = dict(states)
        self._filters = get_filters(DEFAULT_FILTERS)
        self._weighers = get_weighers()
        self._kinds: dict[Hashable, _Kind] = {}
        self._log: list[HostName] = []

    def update(self, name: HostName, state: HostState) -> None:
        """``name`` now looks like ``state`` (an instance planned onto it)."""
        self.states[name] = state
        self._log.append(name)

    def select(self, spec: RequestSpec) -> Placement:
        key = request_kind(spec)
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = _Kind(self._weighers)
            for name in sorted(self.states):
                kind.look(name, self.states[name], spec, self._filters)
        else:
            for name in set(self._log[kind.synced :]):
                kind.look(name, self.states[name], spec, self._filters)
        kind.synced = len(self._log)
        return kind.answer(spec, self.states)
