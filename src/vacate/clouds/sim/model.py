"""The simulated cloud's whole state as one value (``SimState``): its records, its clock and
the failures injected into it; and the checks a loaded state must pass (``check_loaded``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vacate.clouds.sim.codec import (
    group_from_dict,
    group_to_dict,
    host_from_dict,
    host_to_dict,
    instance_from_dict,
    instance_to_dict,
)
from vacate.clouds.sim.tracked import InstanceTable, TrackedDict
from vacate.clouds.sim.transfer import Transfer
from vacate.domain.errors import NotFound, SetupError
from vacate.domain.model import GroupId, Host, Instance, ServerGroup

STATE_VERSION = 1


@dataclass(kw_only=True)
class ClockAnchor:
    """Maps wall time to simulated time: ``sim = sim_at_anchor + (wall - wall_at_anchor) × speed``.

    ``speed`` None is virtual time: it only moves when a Vacate process waits.
    """

    sim_at_anchor: float = 0.0
    wall_at_anchor: float = 0.0
    speed: float | None = None


@dataclass(kw_only=True)
class SimState:
    now: float = 0.0
    anchor: ClockAnchor = field(default_factory=ClockAnchor)
    hosts: dict[str, Host] = field(default_factory=dict)
    instances: dict[str, Instance] = field(default_factory=dict)
    groups: dict[GroupId, ServerGroup] = field(default_factory=dict)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    #: instance id → how many of its next migrations fail, and at what fraction of the bytes.
    failing_migrations: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: host → simulated time at which it dies (service down, its migrations fail).
    host_deaths: dict[str, float] = field(default_factory=dict)
    next_id: int = 1

    def __post_init__(self) -> None:
        # The instances are indexed (by host, in listing order) and the hosts keep their sorted
        # names, whoever built the state; a holder that loads a state builds these directly.
        if not isinstance(self.instances, InstanceTable):
            self.instances = InstanceTable(self.instances)
        if not isinstance(self.hosts, TrackedDict):
            self.hosts = TrackedDict(self.hosts)

    def new_id(self, prefix: str) -> str:
        value = f"{prefix}-{self.next_id:05d}"
        self.next_id += 1
        return value

    def host(self, name: str) -> Host:
        try:
            return self.hosts[name]
        except KeyError:
            raise NotFound("host", name) from None

    def instance(self, instance_id: str) -> Instance:
        try:
            return self.instances[instance_id]
        except KeyError:
            raise NotFound("instance", instance_id) from None

    def scalars(self) -> dict[str, Any]:
        """Everything but the records: the clock, the id counter, injected failures."""
        return {
            "now": self.now,
            "anchor": {
                "sim_at_anchor": self.anchor.sim_at_anchor,
                "wall_at_anchor": self.anchor.wall_at_anchor,
                "speed": self.anchor.speed,
            },
            "failing_migrations": {k: list(v) for k, v in self.failing_migrations.items()},
            "host_deaths": dict(self.host_deaths),
            "next_id": self.next_id,
        }

    def with_scalars(self, d: dict[str, Any]) -> SimState:
        anchor = d.get("anchor", {})
        self.now = float(d.get("now", 0.0))
        self.anchor = ClockAnchor(
            sim_at_anchor=float(anchor.get("sim_at_anchor", 0.0)),
            wall_at_anchor=float(anchor.get("wall_at_anchor", 0.0)),
            speed=anchor.get("speed"),
        )
        self.failing_migrations = {
            k: (int(v[0]), float(v[1])) for k, v in d.get("failing_migrations", {}).items()
        }
        self.host_deaths = {k: float(v) for k, v in d.get("host_deaths", {}).items()}
        self.next_id = int(d.get("next_id", 1))
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "now": self.now,
            "anchor": {
                "sim_at_anchor": self.anchor.sim_at_anchor,
                "wall_at_anchor": self.anchor.wall_at_anchor,
                "speed": self.anchor.speed,
            },
            "hosts": [host_to_dict(h) for h in self.hosts.values()],
            "instances": [instance_to_dict(i) for i in self.instances.values()],
            "groups": [group_to_dict(g) for g in self.groups.values()],
            "transfers": [t.to_dict() for t in self.transfers.values()],
            "failing_migrations": {k: list(v) for k, v in self.failing_migrations.items()},
            "host_deaths": dict(self.host_deaths),
            "next_id": self.next_id,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SimState:
        if d.get("version") != STATE_VERSION:
            raise ValueError(f"simulated cloud state version {d.get('version')!r} is not supported")
        anchor = d.get("anchor", {})
        hosts = [host_from_dict(h) for h in d.get("hosts", [])]
        instances = [instance_from_dict(i) for i in d.get("instances", [])]
        groups = [group_from_dict(g) for g in d.get("groups", [])]
        transfers = [Transfer.from_dict(t) for t in d.get("transfers", [])]
        return cls(
            now=float(d.get("now", 0.0)),
            anchor=ClockAnchor(
                sim_at_anchor=float(anchor.get("sim_at_anchor", 0.0)),
                wall_at_anchor=float(anchor.get("wall_at_anchor", 0.0)),
                speed=anchor.get("speed"),
            ),
            hosts={h.name: h for h in hosts},
            instances={i.id: i for i in instances},
            groups={g.id: g for g in groups},
            transfers={t.id: t for t in transfers},
            failing_migrations={
                k: (int(v[0]), float(v[1])) for k, v in d.get("failing_migrations", {}).items()
            },
            host_deaths={k: float(v) for k, v in d.get("host_deaths", {}).items()},
            next_id=int(d.get("next_id", 1)),
        )


def check_loaded(state: SimState, path: Path) -> None:
    """What a hand-edited file may have broken, refused with the file's name (``SetupError``)."""
    if not finite_clock(state):
        raise SetupError(
            f"simulated cloud {path} has a clock that is not a finite number; "
            "start over with `vacate sim init --force`"
        )
    for name, host in state.hosts.items():
        sizes = (host.nic_bytes_per_s, host.vcpus, host.ram_mb, host.disk_gb)
        if not all(math.isfinite(v) and v > 0 for v in sizes):
            raise SetupError(
                f"simulated cloud {path}: host {name!r} has a NIC speed or capacity "
                "that is not a positive number; restore the file or `vacate sim init --force`"
            )
    for iid, inst in state.instances.items():
        if inst.host is not None and inst.host not in state.hosts:
            raise SetupError(
                f"simulated cloud {path}: instance {iid!r} is on unknown host "
                f"{inst.host!r}; restore the file or `vacate sim init --force`"
            )


def finite_clock(state: SimState) -> bool:
    anchor = state.anchor
    values = [state.now, anchor.sim_at_anchor, anchor.wall_at_anchor]
    if anchor.speed is not None:
        values.append(anchor.speed)
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


def instance_table(state: SimState) -> InstanceTable:
    """The state's instances with their indexes (by host, in listing order)."""
    table = state.instances
    if not isinstance(table, InstanceTable):
        raise TypeError("SimState.instances must stay an InstanceTable (set by the state)")
    return table


def sorted_hosts(state: SimState) -> list[Host]:
    hosts = state.hosts
    names = hosts.sorted_keys() if isinstance(hosts, TrackedDict) else sorted(hosts)
    return [hosts[n] for n in names]
