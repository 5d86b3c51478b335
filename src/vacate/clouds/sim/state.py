"""Where the simulated cloud's state (``model.SimState``) lives between processes.

The state lives in one SQLite file under ``$VACATE_HOME`` (``rows``: a row per record), so a
worker, a CLI and a server see one cloud and a restarted Vacate finds it where it was. A session
is one write transaction: it loads the state only when another process changed it since this
process last looked, and writes back only the records it changed, so a call costs what it
touches, not what the cloud holds. Tests use the in-memory holder instead.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from vacate.clouds.sim import rows
from vacate.clouds.sim.model import ClockAnchor, SimState, check_loaded, finite_clock
from vacate.clouds.sim.tracked import TrackedDict
from vacate.collector import paused
from vacate.domain.errors import SetupError

__all__ = [
    "ClockAnchor",
    "FileState",
    "MemoryState",
    "NoCloudYet",
    "SimState",
    "StateHolder",
    "check_loaded",
]


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
            if not finite_clock(state):  # one bad setting must not damage the cloud for good
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
            try:
                self._db, self._inode = _connect(self.path), inode
            except sqlite3.DatabaseError as exc:  # a truncated file fails its first statement
                raise self._damaged(str(exc).splitlines()[0] or type(exc).__name__) from None
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
            large = rows.record_count(db) >= _FREEZE_AT
            if large:
                gc.collect()  # what is garbage now is not kept for good with the state below
            with paused():  # many small records: the collector would rescan them over and over
                tables = {t: rows.read_table(db, t) for t in _RECORDS}
            state = SimState(**tables)  # type: ignore[arg-type]
            state.with_scalars(meta)
            if large:
                # The loaded cloud lives until the next load: later collections need not walk
                # it (at 100,000 hosts they made a host list grow faster than the cloud). It is
                # still freed when replaced: its records hold no cycles.
                gc.freeze()
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
#: Hosts and instances from which a loaded cloud is frozen out of the cyclic collector's walks.
_FREEZE_AT = 20_000


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: transactions are the explicit BEGIN IMMEDIATE of a session. No fsync:
    # the simulator must survive a killed process (the journal does that), not a lost machine.
    db = sqlite3.connect(path, isolation_level=None, timeout=60.0, check_same_thread=False)
    db.execute("PRAGMA synchronous = OFF")
    return db
