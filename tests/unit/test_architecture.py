"""The layering of DESIGN §3 as a test: the import-linter contracts of pyproject.toml, checked
by importing the modules in a fresh interpreter and looking at what ended up in ``sys.modules``.

A fresh subprocess, because this test process has long imported SQLAlchemy and friends. The
check also catches what a static linter cannot see: an import done at import time by a
dependency, or through ``importlib``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Libraries the pure core (domain, planning) must never load.
THIRD_PARTY_FORBIDDEN = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "httpx",
    "requests",
    "openstack",
    "typer",
    "click",
    "rich",
    "yaml",
)

_PROBE = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys

    packages = json.loads(sys.argv[1])
    imported = []
    for name in packages:
        package = importlib.import_module(name)
        imported.append(name)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=name + "."):
            importlib.import_module(info.name)
            imported.append(info.name)
    print(json.dumps({"imported": imported, "modules": sorted(sys.modules)}))
    """
)


def load_in_fresh_interpreter(*packages: str) -> tuple[list[str], set[str]]:
    """Import every module of ``packages`` in a new interpreter; return what was imported on
    purpose and everything that ended up in ``sys.modules``."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(packages))],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    return report["imported"], set(report["modules"])


def offenders(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))


@pytest.fixture(scope="module")
def pure_core() -> tuple[list[str], set[str]]:
    return load_in_fresh_interpreter("vacate.domain", "vacate.planning")


def test_every_module_of_the_pure_core_is_actually_imported(
    pure_core: tuple[list[str], set[str]],
) -> None:
    imported, _ = pure_core
    for module in (
        "vacate.domain.model",
        "vacate.domain.maintenance",
        "vacate.domain.jobs",
        "vacate.planning.escalation",
        "vacate.planning.preflight",
        "vacate.planning.scheduler",
    ):
        assert module in imported


def test_domain_and_planning_load_no_storage_http_cli_or_cloud_library(
    pure_core: tuple[list[str], set[str]],
) -> None:
    _, modules = pure_core
    assert offenders(modules, THIRD_PARTY_FORBIDDEN) == []


def test_domain_and_planning_load_no_outer_layer_of_vacate(
    pure_core: tuple[list[str], set[str]],
) -> None:
    _, modules = pure_core
    outer = ("vacate.store", "vacate.clouds", "vacate.engine", "vacate.cli", "vacate.bootstrap")
    assert offenders(modules, outer) == []


def test_the_engine_knows_nothing_of_the_cli_a_backend_or_the_store() -> None:
    imported, modules = load_in_fresh_interpreter("vacate.engine")
    assert "vacate.engine.reconcile" in imported and "vacate.engine.workflows" in imported
    forbidden = ("vacate.cli", "vacate.clouds", "vacate.store", "typer", "click", "rich")
    assert offenders(modules, forbidden) == []


def test_the_probe_does_notice_a_forbidden_import() -> None:
    """The store is allowed SQLAlchemy: a probe of it must report it, or the checks above prove
    nothing."""
    _, modules = load_in_fresh_interpreter("vacate.store.sql")
    assert "sqlalchemy" in offenders(modules, THIRD_PARTY_FORBIDDEN)
    # Alembic loads only to migrate (tests/unit/test_store_revisions.py): probe its one user.
    _, modules = load_in_fresh_interpreter("alembic.command")
    assert "alembic" in offenders(modules, THIRD_PARTY_FORBIDDEN)


def direct_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


#: Each library, and the only package allowed to import it.
OWNERS = {
    "sqlalchemy": "vacate/store",
    "alembic": "vacate/store",
    "openstack": "vacate/clouds/openstack",
    "sushy": "vacate/fencing",
}


def test_each_storage_or_cloud_library_is_imported_only_by_its_own_adapter() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    offending = []
    for path in sorted(src.rglob("*.py")):
        relative = path.relative_to(src).as_posix()
        for library in direct_imports(path) & OWNERS.keys():
            if not relative.startswith(OWNERS[library] + "/"):
                offending.append(f"{relative} imports {library}")
    assert offending == []


def test_the_ownership_check_sees_the_stores_own_imports() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    assert "sqlalchemy" in direct_imports(src / "vacate" / "store" / "sql.py")
