"""Wire the ports to their adapters once, for every entry point (CLI, worker, server).

The backend is chosen here and only here, from the settings: ``simulated`` (the built-in
cloud, with its own clock and its extra controls) or ``openstack`` (a real cloud, wall time).
The backends and the store (SQLAlchemy, Alembic) are imported by ``build``: importing this
module (for ``App``) loads neither.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from vacate.config import Settings, load_settings
from vacate.domain.errors import SetupError
from vacate.engine.context import Context, Observer
from vacate.ports.clock import Clock
from vacate.ports.cloud import Cloud
from vacate.ports.fence import Fencer, NoFencer
from vacate.ports.simulator import SimulatorControls


@dataclass(frozen=True)
class App:
    settings: Settings
    ctx: Context
    #: The simulated cloud's extras (boot, failure injection); None on a real cloud.
    sim: SimulatorControls | None

    def simulator(self) -> SimulatorControls:
        if self.sim is None:
            raise SetupError(
                f"the {self.settings.cloud} cloud has no simulator controls: "
                "`vacate sim` works on the simulated cloud only (VACATE_CLOUD=simulated)"
            )
        return self.sim


def _simulated(settings: Settings) -> tuple[Cloud, Clock, SimulatorControls]:
    from vacate.clouds.sim.cloud import SimCloud
    from vacate.clouds.sim.state import FileState

    sim = SimCloud(FileState(settings.sim_path), speed=settings.sim_speed)
    return sim, sim.clock, sim


def _openstack(settings: Settings) -> tuple[Cloud, Clock, None]:
    from vacate.ports.clock import WallClock

    try:
        from vacate.clouds.openstack import open_cloud
    except ImportError:
        raise SetupError(
            "VACATE_CLOUD=openstack needs the OpenStack backend: pip install 'vacate[openstack]'"
        ) from None
    cloud: Cloud = open_cloud()
    return cloud, WallClock(), None


def _home(settings: Settings) -> None:
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SetupError(f"VACATE_HOME {settings.home}: {exc.strerror or exc}") from None


def _fencer(settings: Settings) -> Fencer:
    """The BMC fencer when the Redfish package is installed, else no BMC anywhere (every
    host-down report then waits for an operator's ``--fenced``)."""
    try:
        from vacate.fencing import open_fencer  # type: ignore[import-not-found,unused-ignore]

        fencer: Fencer = open_fencer(settings)  # imports the Redfish package if it needs it
    except ImportError:
        return NoFencer()
    return fencer


def build(
    settings: Settings | None = None,
    *,
    observer: Observer | None = None,
    need_cloud: bool = True,
) -> App:
    """``need_cloud=False`` for the commands that make the simulated cloud or use only the
    database (``sim init``, tokens); every other command needs the cloud, and is refused before
    anything is created (no database, no home) when there is none."""
    from vacate.store import open_store

    settings = settings or load_settings()
    legacy = settings.sim_path.with_suffix(".json")  # an older Vacate's file, migrated on use
    if (
        need_cloud
        and settings.cloud == "simulated"
        and not settings.sim_path.exists()
        and not legacy.exists()
    ):
        from vacate.clouds.sim.state import NoCloudYet

        raise NoCloudYet(settings.sim_path)
    _home(settings)
    if settings.cloud == "openstack":
        cloud, clock, sim = _openstack(settings)
    else:
        cloud, clock, sim = _simulated(settings)
    ctx = Context(
        cloud=cloud,
        store=open_store(settings.db_url),
        clock=clock,
        owner=f"{socket.gethostname()}:{os.getpid()}",
        poll_s=settings.poll_s,
        lease_ttl_s=settings.lease_ttl_s,
        observer=observer,
        fencer=_fencer(settings),
    )
    return App(settings=settings, ctx=ctx, sim=sim)
