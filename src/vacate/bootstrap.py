"""Wire the ports to their adapters once, for every entry point (CLI, worker, server)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from vacate.clouds.sim.cloud import SimCloud
from vacate.clouds.sim.state import FileState
from vacate.config import Settings, load_settings
from vacate.engine.context import Context, Observer
from vacate.ports.clock import Clock, WallClock
from vacate.ports.cloud import Cloud
from vacate.store import open_store


@dataclass(frozen=True)
class App:
    settings: Settings
    sim: SimCloud
    ctx: Context


def build(settings: Settings | None = None, *, observer: Observer | None = None) -> App:
    settings = settings or load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    sim = SimCloud(FileState(settings.sim_path), speed=settings.sim_speed)
    store = open_store(settings.db_url)
    cloud, clock = _openstack() or (sim, sim.clock)
    ctx = Context(
        cloud=cloud,
        store=store,
        clock=clock,
        owner=f"{socket.gethostname()}:{os.getpid()}",
        poll_s=settings.poll_s,
        lease_ttl_s=settings.lease_ttl_s,
        observer=observer,
    )
    return App(settings=settings, sim=sim, ctx=ctx)


def _openstack() -> tuple[Cloud, Clock] | None:
    """``VACATE_CLOUD=openstack``: the real cloud of ``OS_CLOUD`` / clouds.yaml, on wall time
    (docs/openstack.md). Imported only then, so the simulated cloud needs no openstacksdk."""
    if os.environ.get("VACATE_CLOUD", "sim").strip().lower() != "openstack":
        return None
    from vacate.clouds.openstack import open_cloud

    return open_cloud(), WallClock()
