"""The CLI starts on Typer and Rich alone: importing ``vacate.cli.app`` (what every ``vacate``
command and ``--help`` does first) loads no database, server, cloud, template or test library;
each command imports those when it runs. Checked in a fresh interpreter, since this test
process has long imported them (and a dependency's import-time imports are invisible to a
static linter). What it costs is measured by ``bench/startup.py``, not here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "openstack",
    "jinja2",
    "sushy",
    "prometheus_client",
    "pydantic",
    "hypothesis",
)

PROBE = "import json, sys, vacate.cli.app; print(json.dumps(sorted(sys.modules)))"

VACATE = Path(sys.executable).parent / "vacate"

#: The command tree as the app itself builds it: every top-level name, groups included.
TREE = (
    "import json, typer.main, vacate.cli.app as a; "
    "root = typer.main.get_command(a.app); "
    "print(json.dumps(sorted(root.commands)))"
)


def fresh(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout


def test_importing_the_cli_loads_no_store_server_cloud_or_template_library() -> None:
    loaded = json.loads(fresh(PROBE))
    assert "vacate.cli.host_cmds" in loaded  # the probe did import the commands
    assert "typer" in loaded
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []


def test_help_lists_every_command_and_group() -> None:
    names = json.loads(fresh(TREE))
    # The groups registered by the command modules are all there to be listed...
    assert {"host", "instance", "job", "sim", "audit", "token"} <= set(names)
    result = subprocess.run(
        [str(VACATE), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("VACATE_")},
            "COLUMNS": "200",
        },
    )
    # ...and the help screen shows each one as a row of its Commands panel.
    shown = set(re.findall(r"^│ (\S+) ", result.stdout, flags=re.MULTILINE))
    assert set(names) <= shown
