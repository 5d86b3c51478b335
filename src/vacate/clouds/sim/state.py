"""The simulated cloud's whole state, and where it lives between processes.

The state is one JSON document under ``$VACATE_HOME``, read and written under an exclusive file
lock, so a worker, a CLI and a server see one cloud and a restarted Vacate finds it where it
was. Tests use the in-memory holder instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from vacate.clouds.sim.codec import (
    group_from_dict,
    group_to_dict,
    host_from_dict,
    host_to_dict,
    instance_from_dict,
    instance_to_dict,
)
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


class NoCloudYet(SetupError):
    """``$VACATE_HOME`` has no simulated cloud: an environment problem (exit 5), not a missing
    host or instance; the message says how to make one."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no simulated cloud at {path}: run `vacate sim init`")


class StateHolder(Protocol):
    def session(self) -> contextlib.AbstractContextManager[SimState]:
        """Exclusive access to the state; changes are kept when the block ends."""
        ...


class MemoryState:
    """The state in this process only: for tests and benchmarks."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    @contextlib.contextmanager
    def session(self) -> Iterator[SimState]:
        yield self._state


class FileState:
    """The state in a JSON file, shared by every process under a file lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    def exists(self) -> bool:
        return self.path.exists()

    def write(self, state: SimState) -> None:
        """Replace the state (``sim init``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._save(state)

    @contextlib.contextmanager
    def session(self) -> Iterator[SimState]:
        with self._locked():
            if not self.path.exists():
                raise NoCloudYet(self.path)
            state = self._load()
            yield state
            self._save(state)

    def _load(self) -> SimState:
        """The state as written, or a ``SetupError`` naming the file: a damaged cloud is never
        replaced silently (``sim init --force`` is the way to start over)."""
        try:
            state = SimState.from_dict(json.loads(self.path.read_text()))
        except (
            OSError,
            UnicodeDecodeError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
        ) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SetupError(
                f"simulated cloud {self.path} is damaged ({detail}); restore it, or start over "
                "with `vacate sim init --force`"
            ) from None
        if not _finite_clock(state):
            raise SetupError(
                f"simulated cloud {self.path} has a clock that is not a finite number; "
                "start over with `vacate sim init --force`"
            )
        for name, host in state.hosts.items():
            sizes = (host.nic_bytes_per_s, host.vcpus, host.ram_mb, host.disk_gb)
            if not all(math.isfinite(v) and v > 0 for v in sizes):
                raise SetupError(
                    f"simulated cloud {self.path}: host {name!r} has a NIC speed or capacity "
                    "that is not a positive number; restore the file or `vacate sim init --force`"
                )
        for iid, inst in state.instances.items():
            if inst.host is not None and inst.host not in state.hosts:
                raise SetupError(
                    f"simulated cloud {self.path}: instance {iid!r} is on unknown host "
                    f"{inst.host!r}; restore the file or `vacate sim init --force`"
                )
        return state

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _save(self, state: SimState) -> None:
        if not _finite_clock(state):  # one bad setting must not damage the cloud for good
            raise SetupError(f"refusing to write a non-finite clock into {self.path}")
        # Write-then-rename: a process killed mid-write leaves the previous state intact.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sim-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump(state.to_dict(), out, separators=(",", ":"))
        os.replace(tmp, self.path)


def _finite_clock(state: SimState) -> bool:
    anchor = state.anchor
    values = [state.now, anchor.sim_at_anchor, anchor.wall_at_anchor]
    if anchor.speed is not None:
        values.append(anchor.speed)
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)
