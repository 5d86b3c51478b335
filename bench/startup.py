"""Start-up benchmark: the CPU a ``vacate`` command costs before it does anything of its own.

Each case runs in a fresh interpreter, the way an operator starts it: ``vacate --help``,
``vacate host --help`` and ``vacate host list`` on a small simulated cloud (8 hosts, 40
instances, in a temporary VACATE_HOME), against baselines run in the same session: ``python -c
pass`` (the interpreter), ``python -c "import click"`` (a command line library), and Typer, the
CLI's framework, with its Rich help loaded and running a two-command app (Typer parses every
option through Pydantic): what the framework costs before any of Vacate is imported.

A case's CPU is the user + system time of the child, read from ``getrusage(RUSAGE_CHILDREN)``
before and after; the median of ``--runs`` runs (after one warm-up run, which also writes the
bytecode caches) is shown, with the ratio to the Click baseline and, for Vacate's commands,
``ok`` or ``over`` against the 0.3 s target. Always exits 0 (a figure over the target is
reported, not failed); a command that fails is an error.

    python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: The start-up budget of a command: CPU seconds, interpreter included.
TARGET_S = 0.3
PYTHON = sys.executable
VACATE = Path(PYTHON).parent / "vacate"
#: The least a Typer command line does: a root option and a subcommand with one, parsed.
TYPER_COMMAND = """
import typer
app = typer.Typer()
@app.callback()
def root(url: str | None = None) -> None: ...
@app.command()
def ls(fmt: str = "table") -> None: ...
@app.command()
def other() -> None: ...
app()
"""


@dataclass(frozen=True)
class Case:
    name: str
    argv: list[str]
    #: Measured against the target (Vacate's own commands), not a baseline.
    targeted: bool = False


def vacate() -> list[str]:
    """The console script next to this interpreter (else its entry point, run the same way)."""
    if VACATE.exists():
        return [str(VACATE)]
    return [PYTHON, "-c", "from vacate.cli.app import main; main()"]


def cases() -> list[Case]:
    cli = vacate()
    return [
        Case("python -c pass", [PYTHON, "-c", "pass"]),
        Case('python -c "import click"', [PYTHON, "-c", "import click"]),
        Case("Typer + its Rich help", [PYTHON, "-c", "import typer, typer.rich_utils"]),
        Case("Typer, one command run", [PYTHON, "-c", TYPER_COMMAND, "ls"]),
        Case("vacate --help", [*cli, "--help"], targeted=True),
        Case("vacate host --help", [*cli, "host", "--help"], targeted=True),
        Case("vacate host list", [*cli, "host", "list"], targeted=True),
    ]


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], env: dict[str, str]) -> float:
    """CPU seconds of one run of ``argv`` in a new process (it must succeed)."""
    before = child_cpu()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    spent = child_cpu() - before
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr}")
    return spent


def environment(home: Path) -> dict[str, str]:
    """The caller's environment without its VACATE_* settings, on a private home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VACATE_")}
    env.update(VACATE_HOME=str(home), VACATE_SIM_SPEED="max", COLUMNS="100")
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vacate-startup-") as tmp:
        env = environment(Path(tmp))
        init = [*vacate(), "sim", "init", "--hosts", "8", "--instances", "40"]
        subprocess.run(init, env=env, capture_output=True, check=True)
        rows = []
        for case in cases():
            run_once(case.argv, env)  # warm-up: bytecode caches, page cache
            runs = [run_once(case.argv, env) for _ in range(args.runs)]
            rows.append((case, statistics.median(runs), min(runs)))
    click = next(median for case, median, _ in rows if "import click" in case.name)
    print(
        f"CPU seconds per run, median of {args.runs} (fresh interpreter each); target ≤ "
        f"{TARGET_S:g} s"
    )
    print(f"{'case':<28} {'median':>8} {'min':>8} {'÷ click':>8}  target")
    for case, median, low in rows:
        verdict = ("ok" if median <= TARGET_S else "over") if case.targeted else "(baseline)"
        print(f"{case.name:<28} {median:>8.3f} {low:>8.3f} {median / click:>8.1f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
