"""Where Vacate keeps its state and how fast simulated time runs, read from the environment.

``VACATE_HOME`` holds the SQLite database and the simulated cloud (default: the per-user data
directory). ``VACATE_DB_URL`` points the store elsewhere (e.g. PostgreSQL).
``VACATE_SIM_SPEED`` is the simulated cloud's speed over real time (``10`` = ten times faster) or
``max`` for virtual time that jumps ahead whenever Vacate waits.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from vacate.domain.errors import SetupError

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
    #: Alertmanager labels that name a failed host, first found wins (VACATE_ALERT_HOST_LABELS).
    alert_host_labels: tuple[str, ...] = ("host", "instance", "nodename")

    @property
    def sim_path(self) -> Path:
        return self.home / "sim-cloud.db"


def parse_speed(text: str) -> float | None:
    """``max`` → None (virtual time); a positive number → that factor over real time."""
    text = text.strip().lower()
    if text == "max":
        return None
    return positive("VACATE_SIM_SPEED", text, also="or 'max'")


def positive(name: str, text: str, *, also: str = "") -> float:
    """A finite number above zero, or a ``SetupError`` naming the variable: one bad variable
    must never reach the simulated cloud's clock (``inf`` or ``nan`` would stay there)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        allowed = f"a finite number above 0{' ' + also if also else ''}"
        raise SetupError(f"{name} must be {allowed}, not {text.strip()!r}")
    return value


_BACKENDS = ("sqlite", "postgresql", "postgres")


def database_url(text: str) -> str:
    """``VACATE_DB_URL`` must name a backend Vacate supports (checked without connecting)."""
    scheme = text.split(":", 1)[0].split("+", 1)[0].lower() if ":" in text else ""
    if scheme not in _BACKENDS:
        raise SetupError(
            f"VACATE_DB_URL must be a sqlite:/// or postgresql:// URL, not one starting "
            f"{text.split('://', 1)[0]!r}://"
        )
    if (scheme == "sqlite" and text.rstrip("/").lower() in ("sqlite:", "sqlite:/")) or (
        scheme == "sqlite" and ":memory:" in text
    ):
        raise SetupError(
            "VACATE_DB_URL points at an in-memory SQLite database, which keeps nothing: "
            "give a file, sqlite:///path/to/vacate.db"
        )
    return text


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    home = Path(env.get("VACATE_HOME") or platformdirs.user_data_dir("vacate")).expanduser()
    if home.exists() and not home.is_dir():
        raise SetupError(f"VACATE_HOME {home} is a file, not a directory")
    db_url = database_url(env.get("VACATE_DB_URL") or f"sqlite:///{home / 'vacate.db'}")
    return Settings(
        home=home,
        db_url=db_url,
        sim_speed=parse_speed(env.get("VACATE_SIM_SPEED", DEFAULT_SPEED)),
        lease_ttl_s=positive("VACATE_LEASE_SECONDS", env.get("VACATE_LEASE_SECONDS", "15")),
        poll_s=positive("VACATE_POLL_SECONDS", env.get("VACATE_POLL_SECONDS", "2")),
        cloud=parse_cloud(env.get("VACATE_CLOUD", "simulated")),
        alert_host_labels=tuple(
            x.strip()
            for x in env.get("VACATE_ALERT_HOST_LABELS", "host,instance,nodename").split(",")
            if x.strip()
        ),
    )


CLOUDS = ("simulated", "openstack")


def parse_cloud(text: str) -> str:
    value = text.strip().lower() or "simulated"
    if value not in CLOUDS:
        raise SetupError(f"VACATE_CLOUD must be one of {', '.join(CLOUDS)}, not {text!r}")
    return value
