"""Every setting is checked where it is read: a bad one is refused naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from vacate.config import load_settings
from vacate.domain.errors import SetupError


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VACATE_SIM_SPEED", "inf"),
        ("VACATE_SIM_SPEED", "nan"),
        ("VACATE_SIM_SPEED", "0"),
        ("VACATE_LEASE_SECONDS", "inf"),
        ("VACATE_LEASE_SECONDS", "-1"),
        ("VACATE_LEASE_SECONDS", "soon"),
        ("VACATE_POLL_SECONDS", "nan"),
        ("VACATE_POLL_SECONDS", "0"),
        ("VACATE_DB_URL", "bogus://x"),
        ("VACATE_DB_URL", "not a url"),
        ("VACATE_DB_URL", "sqlite://"),
        ("VACATE_DB_URL", "sqlite:///:memory:"),
        ("VACATE_CLOUD", "aws"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    with pytest.raises(SetupError, match=variable):
        load_settings({"VACATE_HOME": str(tmp_path), variable: value})


def test_a_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("")
    with pytest.raises(SetupError, match="VACATE_HOME"):
        load_settings({"VACATE_HOME": str(home)})


def test_good_settings_are_read_as_given(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VACATE_HOME": str(tmp_path),
            "VACATE_SIM_SPEED": "20",
            "VACATE_LEASE_SECONDS": "7.5",
            "VACATE_POLL_SECONDS": "0.5",
            "VACATE_DB_URL": "postgresql://vacate@db/vacate",
        }
    )
    assert (settings.sim_speed, settings.lease_ttl_s, settings.poll_s) == (20.0, 7.5, 0.5)
    assert settings.db_url == "postgresql://vacate@db/vacate"
