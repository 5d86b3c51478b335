"""Two stores on one SQLite file in one process (``vacate serve`` opens two) keep SQLite's
locks: another process closing its last connection must not delete the WAL the first store
still writes to — the server's later writes would be lost, and the CLI would not see them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName
from vacate.store import open_store

WRITE = """
import sys
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import HostName
from vacate.store import open_store
store = open_store(sys.argv[1])
store.set_maintenance(HostName("c02"), MaintenanceState.MAINTENANCE, reason="other", at=2.0)
store.close()
"""


def test_a_second_store_in_the_process_leaves_the_first_ones_wal_alone(tmp_path: Path) -> None:
    path = tmp_path / "vacate.db"
    url = f"sqlite:///{path}"
    first = open_store(url)
    first.set_maintenance(HostName("c01"), MaintenanceState.MAINTENANCE, reason="fw", at=1.0)
    second = open_store(url)  # checks the file only if no store of this process has it open
    subprocess.run([sys.executable, "-c", WRITE, url], check=True, timeout=60)
    assert Path(f"{path}-wal").exists(), "another process deleted the WAL this one writes to"
    first.set_maintenance(HostName("c03"), MaintenanceState.MAINTENANCE, reason="late", at=3.0)
    seen = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from vacate.store import open_store; from vacate.domain.model import "
            "HostName; print(open_store(sys.argv[1]).get_maintenance(HostName('c03')).state)",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "maintenance" in seen.stdout.lower(), "a write after the other process left was lost"
    assert first.get_maintenance(HostName("c02")).state is MaintenanceState.MAINTENANCE
    first.close()
    second.close()
