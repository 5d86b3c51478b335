"""The fencing file is checked whole at load: each mistake is one line naming the file and key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from vacate.config import load_settings
from vacate.domain.errors import SetupError
from vacate.fencing import open_fencer
from vacate.fencing.config import FencingConfig, load_fencing_file
from vacate.fencing.redfish import RedfishFencer
from vacate.ports.fence import NoFencer

SECRET = "s3cret-Value-Nobody-Sees"


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "fencing.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def load(tmp_path: Path, text: str) -> FencingConfig:
    return load_fencing_file(write(tmp_path, text))


def test_an_exact_host_wins_over_a_pattern_listed_before_it(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [[bmc]]
        pattern = "c*"
        address = "https://pattern.example"
        [[bmc]]
        host = "c03"
        address = "https://exact.example"
        """,
    )
    bmc = config.bmc_for("c03")
    assert bmc is not None and bmc.address_for("c03") == "https://exact.example"
    other = config.bmc_for("c04")
    assert other is not None and other.address_for("c04") == "https://pattern.example"


def test_the_first_matching_pattern_wins_and_a_regex_must_match_whole(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [[bmc]]
        regex = "rack1-c[0-9]+"
        address = "https://{host}-bmc.rack1.example"
        [[bmc]]
        pattern = "rack1-*"
        address = "https://shared.rack1.example"
        """,
    )
    first = config.bmc_for("rack1-c12")
    assert (
        first is not None
        and first.address_for("rack1-c12") == "https://rack1-c12-bmc.rack1.example"
    )
    # The regex is anchored at both ends: "rack1-c12x" falls through to the glob.
    second = config.bmc_for("rack1-c12x")
    assert second is not None and second.address_for("x") == "https://shared.rack1.example"
    assert config.bmc_for("rack2-c01") is None


def test_defaults_fill_every_entry_and_an_entry_overrides_them(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not checked here")
    config = load(
        tmp_path,
        """
        [defaults]
        username = "fence"
        password = "default-pass"
        verify = "ca.pem"
        read_timeout = 4
        [[bmc]]
        pattern = "*"
        address = "https://{host}.bmc.example"
        system = "{host}"
        read_timeout = 7.5
        attempts = 2
        """,
    )
    bmc = config.bmc_for("c07")
    assert bmc is not None
    assert bmc.username == "fence" and bmc.password is not None
    assert bmc.password.reveal() == "default-pass"
    assert bmc.verify == str(tmp_path / "ca.pem")
    assert (bmc.read_timeout_s, bmc.connect_timeout_s, bmc.attempts) == (7.5, 5.0, 2)
    assert bmc.system_for("c07") == "/redfish/v1/Systems/c07"


def test_a_password_file_is_read_relative_to_the_fencing_file(tmp_path: Path) -> None:
    secret = tmp_path / "secrets" / "bmc"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    config = load(
        tmp_path,
        """
        [[bmc]]
        host = "c01"
        address = "https://10.0.0.1"
        username = "fence"
        password_file = "secrets/bmc"
        """,
    )
    bmc = config.bmc_for("c01")
    assert bmc is not None and bmc.password is not None and bmc.password.reveal() == SECRET
    assert config.warnings == ()


def test_no_repr_or_string_of_the_configuration_shows_a_password(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        [[bmc]]
        host = "c01"
        address = "https://10.0.0.1"
        username = "fence"
        password = "{SECRET}"
        """,
    )
    config = load_fencing_file(path)
    bmc = config.bmc_for("c01")
    assert bmc is not None and bmc.password is not None
    shown = [
        repr(config),
        str(config),
        repr(bmc),
        str(bmc),
        f"{bmc.password}",
        repr(RedfishFencer(config)),
    ]
    assert all(SECRET not in text for text in shown)
    assert "***" in repr(bmc.password)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[[bmc]]\nhost = "c01"\naddress = "https://b"\npasword = "x"\n', "bmc[1].pasword"),
        ('[defaults]\nusername = "u"\ntimeout = 3\n', "defaults.timeout"),
        ('[bmcs]\nhost = "c01"\n', "bmcs"),
        ('[[bmc]]\naddress = "https://b"\n', "bmc[1]"),
        ('[[bmc]]\nhost = "a"\npattern = "b*"\naddress = "https://b"\n', "bmc[1]"),
        ('[[bmc]]\nhost = "c01"\n', "bmc[1].address"),
        ('[[bmc]]\nhost = "c01"\naddress = "ftp://b"\n', "bmc[1].address"),
        ('[[bmc]]\nhost = "c01"\naddress = "https://u:pw@b"\n', "bmc[1].address"),
        ('[[bmc]]\nhost = "c01"\naddress = "https://b/redfish/v1"\n', "bmc[1].address"),
        ('[[bmc]]\nhost = "c01"\naddress = "https://{name}.b"\n', "bmc[1].address"),
        ('[[bmc]]\nhost = "c01"\naddress = "https://b"\nread_timeout = 0\n', "bmc[1].read_timeout"),
        ('[[bmc]]\nhost = "c01"\naddress = "https://b"\nattempts = 0\n', "bmc[1].attempts"),
        ('[[bmc]]\nhost = "c01"\naddress = "https://b"\nverify = "none.pem"\n', "bmc[1].verify"),
        ('[[bmc]]\nregex = "c[0-"\naddress = "https://b"\n', "bmc[1].regex"),
        ('[[bmc]]\nhost = "c01"\naddress = "https://b"\nusername = "u"\n', "bmc[1]"),
        (
            '[[bmc]]\nhost = "c01"\naddress = "https://b"\npassword_file = "nofile"\n',
            "bmc[1].password_file",
        ),
        (
            '[[bmc]]\nhost = "a"\naddress = "https://b"\n[[bmc]]\nhost = "a"\naddress = "https://c"\n',
            "bmc[2].host",
        ),
        ('[defaults]\naddress = 7\n[[bmc]]\nhost = "c01"\n', "defaults.address"),
    ],
)
def test_a_mistake_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, text: str, key: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SetupError) as caught:
        load_fencing_file(path)
    message = str(caught.value)
    assert message.startswith(f"fencing file {path}: {key}:"), message
    assert "\n" not in message


def test_a_mistake_next_to_a_password_does_not_repeat_the_password(tmp_path: Path) -> None:
    path = write(tmp_path, f'[[bmc]]\nhost = "c01"\naddress = "https://b"\npassword = "{SECRET}"\n')
    with pytest.raises(SetupError) as caught:
        load_fencing_file(path)
    assert "bmc[1]" in str(caught.value) and SECRET not in str(caught.value)
    broken = write(tmp_path, f'[[bmc]]\npassword = "{SECRET}\n')
    with pytest.raises(SetupError, match="not valid TOML") as caught:
        load_fencing_file(broken)
    assert SECRET not in str(caught.value)


def test_a_password_every_user_can_read_is_warned_about_but_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    path = write(
        tmp_path,
        f'[[bmc]]\nhost = "c01"\naddress = "https://b"\nusername = "u"\npassword = "{SECRET}"\n',
        mode=0o644,
    )
    config = load_fencing_file(path)
    assert len(config.warnings) == 1 and f"chmod 600 {path}" in config.warnings[0]
    assert f"chmod 600 {path}" in caplog.text and SECRET not in caplog.text
    assert config.bmc_for("c01") is not None


def test_without_a_fencing_file_every_host_waits_for_an_operator(tmp_path: Path) -> None:
    settings = load_settings({"VACATE_HOME": str(tmp_path)})
    assert isinstance(open_fencer(settings, env={}), NoFencer)
    write(tmp_path, '[[bmc]]\nhost = "c01"\naddress = "https://b"\n')
    fencer = open_fencer(settings, env={})
    assert isinstance(fencer, RedfishFencer) and fencer.configured("c01")


def test_a_fencing_file_named_in_the_environment_must_exist(tmp_path: Path) -> None:
    settings = load_settings({"VACATE_HOME": str(tmp_path)})
    elsewhere = tmp_path / "etc" / "fencing.toml"
    env = {"VACATE_FENCING_FILE": str(elsewhere)}
    with pytest.raises(SetupError, match=f"VACATE_FENCING_FILE names {elsewhere}"):
        open_fencer(settings, env=env)
    elsewhere.parent.mkdir()
    elsewhere.write_text('[[bmc]]\npattern = "*"\naddress = "https://b"\n')
    assert open_fencer(settings, env=env).configured("any-host")


def test_a_host_name_that_would_bend_the_address_is_not_templated(tmp_path: Path) -> None:
    config = load(tmp_path, '[[bmc]]\npattern = "*"\naddress = "https://{host}.bmc.example"\n')
    bmc = config.bmc_for("evil.example/x@")
    assert bmc is not None
    with pytest.raises(ValueError, match="cannot be put into the template"):
        bmc.address_for("evil.example/x@")


def test_the_example_in_the_docs_loads_and_means_what_it_says(tmp_path: Path) -> None:
    docs = Path(__file__).parents[2] / "docs" / "fencing.md"
    example = docs.read_text().split("```toml\n", 1)[1].split("```", 1)[0]
    for name in ("bmc-password", "c03-password", "bmc-ca.pem"):
        (tmp_path / name).write_text(f"{name}-content\n")
        (tmp_path / name).chmod(0o600)
    config = load(tmp_path, example)

    c03 = config.bmc_for("c03")
    assert c03 is not None and c03.password is not None
    assert c03.password.reveal() == "c03-password-content"
    assert c03.system_for("c03") == "/redfish/v1/Systems/1"
    compute = config.bmc_for("compute-7")
    assert compute is not None and compute.username == "vacate-fence"
    assert compute.address_for("compute-7") == "https://compute-7-bmc.mgmt.example.net"
    assert compute.system_for("compute-7") == "/redfish/v1/Systems/System.Embedded.1"
    rack = config.bmc_for("rack2-c11")
    assert rack is not None and rack.system_for("rack2-c11") is None
    assert (rack.connect_timeout_s, rack.read_timeout_s, rack.attempts) == (3, 10, 1)
    assert config.bmc_for("storage-1") is None


def test_a_password_file_under_home_is_found_with_a_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "operator"
    home.mkdir()
    (home / "bmc.pw").write_text("from-home\n")
    (home / "bmc.pw").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    etc = tmp_path / "etc"
    etc.mkdir()
    config = load(
        etc,
        '[[bmc]]\nhost = "c01"\naddress = "https://b"\nusername = "u"\n'
        'password_file = "~/bmc.pw"\n',
    )
    bmc = config.bmc_for("c01")
    assert bmc is not None and bmc.password is not None
    assert bmc.password.reveal() == "from-home"
