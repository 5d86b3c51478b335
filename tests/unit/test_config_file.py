"""The configuration file: every key read, variables over the file, bad files refused with the
file and the key named, the token read from its file and never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from vacate.config import load_client_settings, load_settings
from vacate.configfile import KEYS
from vacate.domain.errors import SetupError


def write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "vacate.toml"
    path.write_text(text)
    return {"VACATE_CONFIG": str(path)}


def test_every_setting_comes_from_the_file_when_no_variable_is_set(tmp_path: Path) -> None:
    env = write(
        tmp_path,
        f"""
        home = "{tmp_path / "h"}"
        db_url = "sqlite:///{tmp_path / "x.db"}"
        sim_speed = "max"
        lease_seconds = 7
        poll_seconds = 0.5
        cloud = "simulated"

        [server]
        bind = "0.0.0.0:9000"
        tls_cert = "/tls/c.pem"
        tls_key = "/tls/k.pem"
        log_format = "json"
        worker = false
        forwarded_allow_ips = "10.0.0.1"
        read_cache = 1.5
        """,
    )
    s = load_settings(env)
    assert s.home == tmp_path / "h"
    assert s.db_url == f"sqlite:///{tmp_path / 'x.db'}"
    assert (s.sim_speed, s.lease_ttl_s, s.poll_s) == (None, 7.0, 0.5)
    assert s.server.bind == "0.0.0.0:9000"
    assert (str(s.server.tls_cert), str(s.server.tls_key)) == ("/tls/c.pem", "/tls/k.pem")
    assert (s.server.log_format, s.server.worker) == ("json", False)
    assert (s.server.forwarded_allow_ips, s.server.read_cache) == ("10.0.0.1", 1.5)
    assert s.config_path == tmp_path / "vacate.toml"


def test_a_variable_beats_the_file(tmp_path: Path) -> None:
    env = write(tmp_path, 'sim_speed = 5\nlease_seconds = 7\n[client]\nurl = "http://a:1"\n')
    env.update(VACATE_SIM_SPEED="max", VACATE_HOME=str(tmp_path), VACATE_URL="http://b:2")
    s = load_settings(env)
    assert (s.sim_speed, s.lease_ttl_s) == (None, 7.0)
    client = load_client_settings(env)
    assert (client.url, client.source) == ("http://b:2", "VACATE_URL")
    assert load_client_settings(env, url_option="https://c:3").url == "https://c:3"


def test_an_empty_vacate_url_means_this_machine_whatever_the_file_says(tmp_path: Path) -> None:
    env = write(tmp_path, '[client]\nurl = "http://a:1"\n')
    assert load_client_settings(env).url == "http://a:1"
    env["VACATE_URL"] = ""
    assert load_client_settings(env).url is None


def test_the_token_comes_from_its_file_and_is_never_shown(tmp_path: Path) -> None:
    secret = "vct_0123456789abcdef0123456789abcdef"
    (tmp_path / "token").write_text(secret + "\n")
    env = write(tmp_path, f'[client]\nurl = "http://a:1"\ntoken_file = "{tmp_path / "token"}"\n')
    client = load_client_settings(env)
    assert client.token == secret
    assert secret not in repr(client) and secret not in str(client)
    env["VACATE_TOKEN"] = "other"
    assert load_client_settings(env).token == "other"


def test_a_token_file_that_cannot_be_read_names_the_file_and_the_key(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    env = write(tmp_path, f'[client]\nurl = "http://a:1"\ntoken_file = "{missing}"\n')
    with pytest.raises(SetupError, match=r"vacate\.toml: client\.token_file .*nope"):
        load_client_settings(env)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("db_ur = 'x'", "db_ur"),
        ("[server]\nbnd = '1'", "server.bnd"),
        ("[clent]\nurl = 'x'", "clent"),
        ("lease_seconds = 'soon'", "lease_seconds"),
        ("sim_speed = true", "sim_speed"),
        ("[server]\nworker = 'yes'", "server.worker"),
        ("server = 3", "server"),
        ("sim_speed = 'inf'", "sim_speed"),
        ("lease_seconds = -1", "lease_seconds"),
        ("db_url = 'bogus://x'", "db_url"),
        ("[server]\nlog_format = 'xml'", "server.log_format"),
        ("[client]\nurl = 'ftp://x'", "client.url"),
    ],
)
def test_a_bad_key_or_value_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    env = write(tmp_path, text)
    env["VACATE_HOME"] = str(tmp_path)
    with pytest.raises(SetupError) as caught:
        load_settings(env)
        load_client_settings(env)
    message = str(caught.value)
    assert str(tmp_path / "vacate.toml") in message and named in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "variable", "value"),
    [
        ("sim_speed = 'fast'", "VACATE_SIM_SPEED", "max"),
        ("lease_seconds = nan", "VACATE_LEASE_SECONDS", "5"),
        ("cloud = 'vmware'", "VACATE_CLOUD", "simulated"),
    ],
)
def test_a_bad_value_is_refused_even_while_its_variable_overrides_it(
    tmp_path: Path, text: str, variable: str, value: str
) -> None:
    env = write(tmp_path, text)
    env.update({"VACATE_HOME": str(tmp_path), variable: value})
    with pytest.raises(SetupError) as caught:
        load_settings(env)
    assert str(tmp_path / "vacate.toml") in str(caught.value)


def test_a_damaged_file_is_refused_naming_it(tmp_path: Path) -> None:
    env = write(tmp_path, "home = [unclosed\n")
    with pytest.raises(SetupError, match=r"vacate\.toml: not valid TOML"):
        load_settings(env)


def test_a_config_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match=r"VACATE_CONFIG .*nope\.toml"):
        load_settings({"VACATE_CONFIG": str(tmp_path / "nope.toml")})


def test_every_key_is_documented_in_the_readme_with_its_variable() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for key, spec in KEYS.items():
        assert f"| `{key}` |" in readme, key
        if spec.env:
            assert f"`{spec.env}`" in readme, spec.env
