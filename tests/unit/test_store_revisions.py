"""The store reads its revisions from the migration files without Alembic: the same answer as
Alembic's own, and opening a store at head never imports Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from vacate.store.migrate import alembic_config, head_revision, known_revisions


def test_the_files_give_alembics_head_and_revisions() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == script.get_current_head()
    assert known_revisions() == {rev.revision for rev in script.walk_revisions()}


def test_opening_a_store_at_head_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v.db'}"
    code = (
        "import sys; from vacate.store import open_store; open_store({url!r}); "
        "print('alembic' in sys.modules)"
    )
    first = subprocess.run(
        [sys.executable, "-c", code.format(url=url)], capture_output=True, text=True, check=True
    )
    assert first.stdout.strip() == "True"  # a new database is migrated with Alembic
    again = subprocess.run(
        [sys.executable, "-c", code.format(url=url)], capture_output=True, text=True, check=True
    )
    assert again.stdout.strip() == "False"
