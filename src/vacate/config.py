"""Where Vacate keeps its state and how fast simulated time runs, read from the environment.

``VACATE_HOME`` holds the SQLite database and the simulated cloud (default: the per-user data
directory). ``VACATE_DB_URL`` points the store elsewhere (e.g. PostgreSQL).
``VACATE_SIM_SPEED`` is the simulated cloud's speed over real time (``10`` = ten times faster) or
``max`` for virtual time that jumps ahead whenever Vacate waits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEFAULT_SPEED = "1"


@dataclass(frozen=True, kw_only=True)
class Settings:
    home: Path
    db_url: str
    sim_speed: float | None  # None = "max": virtual time
    lease_ttl_s: float
    poll_s: float
    #: Which backend: ``simulated`` (the built-in cloud) or ``openstack``.
    cloud: str = "simulated"

    @property
    def sim_path(self) -> Path:
        return self.home / "sim-cloud.json"


def parse_speed(text: str) -> float | None:
    """``max`` → None (virtual time); a positive number → that factor over real time."""
    text = text.strip().lower()
    if text == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"VACATE_SIM_SPEED must be a positive number or 'max', not {text!r}"
        ) from None
    if value <= 0:
        raise ValueError(f"VACATE_SIM_SPEED must be positive, not {text!r}")
    return value


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    home = Path(env.get("VACATE_HOME") or platformdirs.user_data_dir("vacate")).expanduser()
    db_url = env.get("VACATE_DB_URL") or f"sqlite:///{home / 'vacate.db'}"
    return Settings(
        home=home,
        db_url=db_url,
        sim_speed=parse_speed(env.get("VACATE_SIM_SPEED", DEFAULT_SPEED)),
        lease_ttl_s=float(env.get("VACATE_LEASE_SECONDS", "15")),
        poll_s=float(env.get("VACATE_POLL_SECONDS", "2")),
        cloud=parse_cloud(env.get("VACATE_CLOUD", "simulated")),
    )


CLOUDS = ("simulated", "openstack")


def parse_cloud(text: str) -> str:
    value = text.strip().lower() or "simulated"
    if value not in CLOUDS:
        raise ValueError(f"VACATE_CLOUD must be one of {', '.join(CLOUDS)}, not {text!r}")
    return value
