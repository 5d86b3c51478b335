"""Run the real ``vacate`` console script against a private VACATE_HOME.

Every test talks to the product only through its command line, in subprocesses, the way an
operator (or a script) does: the console script next to the running interpreter, a temporary
``VACATE_HOME`` and, unless a test is about real time, ``VACATE_SIM_SPEED=max`` (virtual time,
no waiting). ``VACATE_*`` variables of the calling environment never leak in: a developer's
``VACATE_DB_URL`` must not point these tests at a real database.

``vacate(*args)`` returns the ``CompletedProcess``; ``check=N`` asserts the exit code (with the
output in the failure message); ``vacate.json(*args)`` parses stdout and defaults to ``check=0``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

VACATE = Path(sys.executable).parent / "vacate"
#: A CLI call that takes longer than this has hung (a worker that never goes idle, a lock).
CALL_TIMEOUT_S = 120.0

#: A small cloud described exactly (``sim init --from-yaml``). h1 is the host the tests drain:
#: a running guest, a running member of the hard anti-affinity group "web" (whose other
#: members sit on h2 and h3, so h4 is its only valid destination), a stopped guest (cold) and
#: a suspended one (blocked unless ``--policy suspended=skip``). h5 was disabled by another
#: tool and must never receive anything. Addresses are explicit so a move can be seen to keep
#: them.
SMALL_CLOUD_YAML = textwrap.dedent(
    """\
    hosts:
      - {name: h1}
      - {name: h2}
      - {name: h3}
      - {name: h4}
      - {name: h5, disabled_reason: "AUTO: hardware fault"}
    groups:
      - {id: grp-web, name: web, policy: anti-affinity}
    instances:
      - {id: i-app, name: app, host: h1, flavor: m1.medium, addresses: [192.0.2.10]}
      - {id: i-web1, name: web-1, host: h1, flavor: m1.small, groups: [web],
         addresses: [192.0.2.11]}
      - {id: i-db, name: db, host: h1, flavor: m1.large, vm_state: stopped,
         addresses: [192.0.2.12]}
      - {id: i-sus, name: sus, host: h1, flavor: m1.small, vm_state: suspended,
         addresses: [192.0.2.13]}
      - {id: i-web2, name: web-2, host: h2, flavor: m1.small, groups: [web],
         addresses: [192.0.2.21]}
      - {id: i-other, name: other, host: h2, flavor: m1.small, addresses: [192.0.2.22]}
      - {id: i-web3, name: web-3, host: h3, flavor: m1.small, groups: [web],
         addresses: [192.0.2.31]}
    """
)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace as one space (Rich wraps stderr at 80 columns)."""
    return " ".join(text.split())


class Vacate:
    """The ``vacate`` CLI bound to one VACATE_HOME."""

    def __init__(self, home: Path, *, speed: str = "max") -> None:
        self.home = home
        self.speed = speed

    def env(self, env_extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VACATE_")}
        env.update(VACATE_HOME=str(self.home), VACATE_SIM_SPEED=self.speed)
        env.update(env_extra or {})
        return env

    def __call__(
        self,
        *args: str,
        env_extra: dict[str, str] | None = None,
        check: int | None = None,
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(VACATE), *args],
            env=self.env(env_extra),
            capture_output=True,
            text=True,
            timeout=CALL_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        if check is not None:
            assert proc.returncode == check, describe(proc, f"expected exit {check}")
        return proc

    def json(
        self, *args: str, env_extra: dict[str, str] | None = None, check: int | None = 0
    ) -> Any:
        """Run with ``-f json`` already in ``args``; the parsed stdout."""
        proc = self(*args, env_extra=env_extra, check=check)
        return parse_json(proc)

    def popen(self, *args: str, env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start ``vacate ARGS`` in the background (stdout/stderr to files in VACATE_HOME)."""
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        n = len(list(logs.iterdir()))
        with open(logs / f"{n:02d}-{args[0]}.out", "w") as log:  # the child keeps its own copy
            return subprocess.Popen(
                [str(VACATE), *args],
                env=self.env(env_extra),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def init_small_cloud(self) -> None:
        """``sim init --from-yaml`` with :data:`SMALL_CLOUD_YAML` written to a file."""
        path = self.home.parent / f"{self.home.name}-cloud.yaml"
        path.write_text(SMALL_CLOUD_YAML)
        self("sim", "init", "--from-yaml", str(path), check=0)


def describe(proc: subprocess.CompletedProcess[str], what: str = "") -> str:
    return (
        f"{what}: `vacate {' '.join(proc.args[1:])}` exited {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    )


def parse_json(proc: subprocess.CompletedProcess[str]) -> Any:
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(describe(proc, f"stdout is not JSON ({exc})")) from None


def by_name(rows: list[dict[str, Any]], key: str = "name") -> dict[str, dict[str, Any]]:
    """Rows of a JSON list keyed by ``key``; fails on duplicates."""
    keyed = {row[key]: row for row in rows}
    assert len(keyed) == len(rows), f"duplicate {key}s in {[r[key] for r in rows]}"
    return keyed


@pytest.fixture
def vacate(tmp_path: Path) -> Vacate:
    """The CLI with a fresh, empty VACATE_HOME under ``tmp_path``, at speed ``max``."""
    return Vacate(tmp_path / "home")


@pytest.fixture
def small_cloud(vacate: Vacate) -> Vacate:
    """The CLI with :data:`SMALL_CLOUD_YAML` loaded (one ``sim init`` call)."""
    vacate.init_small_cloud()
    return vacate
