"""The simulated cloud as Vacate kept it before the database: one JSON document (version 1).

Read to migrate such a file (``FileState`` does it once), and kept whole as a state holder so
``bench/scale.py`` can measure the database against it: every session re-reads and re-writes
the whole document under a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from vacate.clouds.sim.state import NoCloudYet, SimState, check_loaded
from vacate.domain.errors import SetupError


class JsonFileState:
    """The state in a JSON file, re-read and re-written whole by every session."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    def write(self, state: SimState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._save(state)

    @contextlib.contextmanager
    def session(self) -> Iterator[SimState]:
        with self._locked():
            state = self.load()
            yield state
            self._save(state)

    def load(self) -> SimState:
        """The state as written, or a ``SetupError`` naming the file (which is left as it is)."""
        if not self.path.exists():
            raise NoCloudYet(self.path)
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
        check_loaded(state, self.path)
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
        # Write-then-rename: a process killed mid-write leaves the previous state intact.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sim-", suffix=".json")
        with os.fdopen(fd, "w") as out:
            json.dump(state.to_dict(), out, separators=(",", ":"))
        os.replace(tmp, self.path)
