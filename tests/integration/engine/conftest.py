"""A rig for engine tests: the simulated cloud on virtual time, a SQLite store, one Context.

Everything goes through the engine's public doors (``commands`` to queue, ``runner`` to run) and
every assertion reads the cloud's truth or the store's record, never what the test set up.
A watchdog observer stops a drain that would run away in simulated time, so a hang in the
engine fails a test instead of freezing the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vacate.clouds.sim.state import MemoryState, SimState
from vacate.engine.context import Context
from vacate.planning.escalation import LadderPolicy
from vacate.store import SqlStore, open_store

from .rig import LimitedSimCloud, Rig, RigFactory


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[RigFactory]:
    """``make_rig(state, ladder=..., poll_s=...)`` → a Rig on a fresh SQLite database."""
    opened: list[SqlStore] = []

    def build(state: SimState, *, ladder: LadderPolicy | None = None, poll_s: float = 1.0) -> Rig:
        cloud = LimitedSimCloud(MemoryState(state), speed=None)
        store = open_store(f"sqlite:///{tmp_path / f'vacate-{len(opened)}.db'}")
        opened.append(store)
        ctx = Context(
            cloud=cloud,
            store=store,
            clock=cloud.clock,
            owner="test",
            poll_s=poll_s,
            ladder=ladder or LadderPolicy(),
        )
        rig = Rig(cloud=cloud, store=store, ctx=ctx)
        ctx.observer = rig.watch
        return rig

    yield build
    for store in opened:
        store.close()
