"""Fencing: power a failed host off through its BMC before its instances are evacuated.

``open_fencer(settings)`` is the one entry point: it reads the fencing file named by
``VACATE_FENCING_FILE`` (default ``$VACATE_HOME/fencing.toml``) and returns the Fence port over
Redfish, or ``NoFencer`` when there is no such file, so that every host then waits for an
operator's ``--fenced``. The file's format is in docs/fencing.md.

The Redfish library (sushy) is imported when a fencing file asks for a fencer: every command of
an installation without one starts without it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vacate.config import Settings
from vacate.domain.errors import SetupError
from vacate.fencing.config import FencingConfig, load_fencing_file
from vacate.ports.fence import Fencer, NoFencer

if TYPE_CHECKING:
    from vacate.fencing.redfish import RedfishFencer

__all__ = ["FencingConfig", "RedfishFencer", "fencing_file", "open_fencer"]

FILE_VARIABLE = "VACATE_FENCING_FILE"
FILE_NAME = "fencing.toml"


def __getattr__(name: str) -> Any:
    if name == "RedfishFencer":
        from vacate.fencing.redfish import RedfishFencer

        return RedfishFencer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fencing_file(settings: Settings, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    named = env.get(FILE_VARIABLE, "").strip()
    return Path(named).expanduser() if named else settings.home / FILE_NAME


def open_fencer(settings: Settings, env: Mapping[str, str] | None = None) -> Fencer:
    """The Fence port for this installation; raises ``SetupError`` (one line naming the file
    and the key) for a fencing file with a mistake, or one that is named but missing."""
    env = os.environ if env is None else env
    path = fencing_file(settings, env)
    if not path.exists():
        if env.get(FILE_VARIABLE, "").strip():
            raise SetupError(f"{FILE_VARIABLE} names {path}, which does not exist")
        return NoFencer()
    from vacate.fencing.redfish import RedfishFencer

    return RedfishFencer(load_fencing_file(path))
