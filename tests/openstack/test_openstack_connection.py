"""Opening a cloud: clouds.yaml discovery, and one-line SetupErrors that leak no secret."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from vacate.clouds.openstack import open_cloud
from vacate.domain.errors import SetupError


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No OS_* settings and no clouds.yaml but the one a test writes."""
    import os

    for name in list(os.environ):
        if name.startswith("OS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    path = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_line(exc: pytest.ExceptionInfo[SetupError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_an_unknown_cloud_is_a_setup_error(isolated: Path) -> None:
    isolated.write_text("clouds:\n  other:\n    auth_type: none\n")
    with pytest.raises(SetupError) as caught:
        open_cloud("missing")
    assert "missing" in one_line(caught)


def test_nothing_configured_says_what_to_set(isolated: Path) -> None:
    isolated.write_text("clouds: {}\n")
    with pytest.raises(SetupError) as caught:
        open_cloud()
    assert "OS_CLOUD" in one_line(caught)


def test_an_unreachable_endpoint_is_a_setup_error_without_the_password(isolated: Path) -> None:
    port = free_port()
    isolated.write_text(
        "clouds:\n"
        "  down:\n"
        "    auth:\n"
        f"      auth_url: http://127.0.0.1:{port}/identity/v3\n"
        "      username: admin\n"
        "      password: s3cret-Passw0rd\n"
        "      project_name: admin\n"
        "      user_domain_name: Default\n"
        "      project_domain_name: Default\n"
    )
    with pytest.raises(SetupError) as caught:
        open_cloud("down")
    text = one_line(caught)
    assert "'down'" in text and "s3cret" not in text


def test_os_cloud_picks_the_cloud(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    isolated.write_text(
        "clouds:\n"
        "  lab:\n"
        "    auth_type: none\n"
        f"    compute_endpoint_override: http://127.0.0.1:{port}/v2.1\n"
        f"    placement_endpoint_override: http://127.0.0.1:{port}/placement\n"
    )
    monkeypatch.setenv("OS_CLOUD", "lab")
    with pytest.raises(SetupError) as caught:
        open_cloud()
    assert "cannot be reached" in one_line(caught)
