"""The CLI's HTTP client loads no engine, store, cloud or server code: a machine with only the
CLI reaches a server without a database library, checked in a fresh interpreter (what a static
linter cannot see: an import done at import time by a dependency)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = (
    "vacate.engine",
    "vacate.store",
    "vacate.clouds",
    "vacate.bootstrap",
    "vacate.api",
    "sqlalchemy",
    "fastapi",
    "uvicorn",
)

PROBE = "import json, sys, vacate.client.http; print(json.dumps(sorted(sys.modules)))"


def test_the_http_client_imports_no_engine_store_cloud_or_server() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(result.stdout)
    assert "httpx" in loaded  # the probe did import the client
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []
