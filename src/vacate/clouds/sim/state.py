"""The simulated cloud's whole state, and where it lives between processes.

The state lives in one SQLite file under ``$VACATE_HOME`` (``rows``: a row per record), so a
worker, a CLI and a server see one cloud and a restarted Vacate finds it where it was. A session
is one write transaction: it loads the state only when another process changed it since this
process last looked, and writes back only the records it changed, so a call costs what it
touches, not what the cloud holds. Tests use the in-memory holder instead.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from vacate.clouds.sim import rows
from vacate.clouds.sim.codec import (
    group_from_dict,
    group_to_dict,
    host_from_dict,
    host_to_dict,
    instance_from_dict,
    instance_to_dict,
)
from vacate.clouds.sim.tracked import TrackedDict
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


_SQLITE_MAGIC = b"SQLite format 3\x00"
#: The records a session tracks, by SimState field (and table).
_RECORDS = ("hosts", "instances", "groups", "transfers")


class FileState:
    """The state in a SQLite file, shared by every process; see the module doc.

    A cloud written by an older Vacate (one JSON document, ``sim-cloud.json`` beside the
    database) is migrated on first use and kept as ``sim-cloud.json.migrated``; a file that is
    neither is refused with its name, never replaced.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mutex = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._inode: int | None = None
        self._cached: SimState | None = None
        self._generation = -1
        #: The migrations not yet ended, as last written: those change in place.
        self._open_transfers: dict[str, dict[str, Any]] = {}
        self._scalars: dict[str, Any] = {}

    @property
    def legacy_path(self) -> Path:
        return self.path.with_suffix(".json")

    def exists(self) -> bool:
        return self.path.exists()

    def write(self, state: SimState) -> None:
        """Replace the state (``sim init``): built beside the file, then renamed over it."""
        with self._mutex:
            self._write(state)

    def _write(self, state: SimState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        tmp.unlink(missing_ok=True)
        db = _connect(tmp)
        try:
            db.executescript(rows.SCHEMA)
            db.execute("BEGIN IMMEDIATE")
            rows.write_meta(db, {"version": rows.DB_VERSION, "generation": 1})
            rows.write_meta(db, state.scalars())
            for table in _RECORDS:
                rows.write_rows(db, table, getattr(state, table).values())
            db.execute("COMMIT")
        finally:
            db.close()
        Path(f"{self.path}-journal").unlink(missing_ok=True)  # never a stale journal for it
        os.replace(tmp, self.path)
        self._forget()

    @contextlib.contextmanager
    def session(self) -> Iterator[SimState]:
        # One connection per holder: threads of one process (a server's requests, its worker)
        # take turns on it; processes take turns on the database's write lock.
        with self._mutex:
            yield from self._session()

    def _session(self) -> Iterator[SimState]:
        db = self._open()
        db.execute("BEGIN IMMEDIATE")
        try:
            state = self._current(db)
            yield state
            if not _finite_clock(state):  # one bad setting must not damage the cloud for good
                raise SetupError(f"refusing to write a non-finite clock into {self.path}")
            if self._save(db, state):
                self._generation += 1
                rows.write_meta(db, {"generation": self._generation})
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            self._cached = None  # the copy may hold half of what the block did
            raise
        self._settle(state)

    # ------------------------------------------------------------------ load
    def _open(self) -> sqlite3.Connection:
        """The connection, (re)opened when the file was replaced (``sim init --force``)."""
        if not self.path.exists():
            if self.legacy_path != self.path and self.legacy_path.exists():
                self._migrate()
            else:
                self._forget()
                raise NoCloudYet(self.path)
        inode = self.path.stat().st_ino
        if self._db is None or inode != self._inode:
            self._forget()
            with open(self.path, "rb") as f:
                if f.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
                    raise self._damaged("not a simulated cloud database")
            self._db, self._inode = _connect(self.path), inode
        return self._db

    def _forget(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db, self._inode, self._cached, self._generation = None, None, None, -1

    def _damaged(self, detail: str) -> SetupError:
        return SetupError(
            f"simulated cloud {self.path} is damaged ({detail}); restore it, or start over "
            "with `vacate sim init --force`"
        )

    def _current(self, db: sqlite3.Connection) -> SimState:
        """The cached state if nobody wrote since, else the whole state read afresh."""
        try:
            current = rows.generation(db)
            if self._cached is not None and current == self._generation:
                return self._cached
            meta = rows.read_meta(db)
            if meta.get("version") != rows.DB_VERSION:
                raise ValueError(
                    f"simulated cloud state version {meta.get('version')!r} is not supported"
                )
            state = SimState(**{t: rows.read_table(db, t) for t in _RECORDS})  # type: ignore[arg-type]
            state.with_scalars(meta)
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self._cached = None
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise self._damaged(detail) from None
        check_loaded(state, self.path)
        self._generation = current
        self._settle(state)
        return state

    def _migrate(self) -> None:
        from vacate.clouds.sim.legacy import JsonFileState

        state = JsonFileState(self.legacy_path).load()
        self._write(state)
        self.legacy_path.rename(self.legacy_path.with_name(self.legacy_path.name + ".migrated"))

    # ------------------------------------------------------------------ save
    def _save(self, db: sqlite3.Connection, state: SimState) -> bool:
        """Write what the session changed; True when anything was."""
        wrote = False
        for table in _RECORDS:
            records = getattr(state, table)
            if not isinstance(records, TrackedDict) or self._cached is not state:
                db.execute(f"DELETE FROM {table}")
                rows.write_rows(db, table, records.values())
                wrote = True
                continue
            keys = set(records.changed)
            if table == "transfers":  # migrations change in place while they run
                keys |= {
                    k
                    for k, doc in self._open_transfers.items()
                    if k in records and records[k].to_dict() != doc
                }
            if keys or records.deleted:
                rows.write_rows(db, table, (records[k] for k in keys), records.deleted)
                wrote = True
        scalars = state.scalars()
        if wrote or scalars != self._scalars:
            rows.write_meta(db, scalars)
            wrote = True
        return wrote

    def _settle(self, state: SimState) -> None:
        """After a load or a commit: this copy is the cloud; nothing is changed yet."""
        for table in _RECORDS:
            records = getattr(state, table)
            if not isinstance(records, TrackedDict):
                records = TrackedDict(records)
                setattr(state, table, records)
            records.settle()
        self._open_transfers = {
            k: t.to_dict() for k, t in state.transfers.items() if t.status not in _ENDED
        }
        self._scalars = state.scalars()
        self._cached = state


_ENDED = frozenset({"completed", "failed", "cancelled"})


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: transactions are the explicit BEGIN IMMEDIATE of a session. No fsync:
    # the simulator must survive a killed process (the journal does that), not a lost machine.
    db = sqlite3.connect(path, isolation_level=None, timeout=60.0, check_same_thread=False)
    db.execute("PRAGMA synchronous = OFF")
    return db


def check_loaded(state: SimState, path: Path) -> None:
    """What a hand-edited file may have broken, refused with the file's name (``SetupError``)."""
    if not _finite_clock(state):
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


def _finite_clock(state: SimState) -> bool:
    anchor = state.anchor
    values = [state.now, anchor.sim_at_anchor, anchor.wall_at_anchor]
    if anchor.speed is not None:
        values.append(anchor.speed)
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)
