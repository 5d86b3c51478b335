"""Under ``-f json`` an error prints the API's error object on stdout — ``{"error": {"code",
"message"}}`` — with the exit code it has without ``-f json``, and its one line on stderr; a bad
configuration file is one line naming the file and the key, whatever the command."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import VACATE, Vacate, describe, one_line, parse_json

CASES = [
    (("host", "show", "h9"), 3, "not_found", "h9"),
    (("job", "show", "0123456789ab"), 3, "not_found", "0123456789ab"),
    (("host", "maintenance", "enable", "h1", "--reason", "x"), 1, "not_ready", "sus"),
    (("host", "migrate-instances", "h1", "--target", "h1"), 2, "invalid", "--target h1"),
    (("host", "maintenance", "enable", "h1", "--reason", "x", "--max-parallel", "0"), 2,
     "invalid", "--max-parallel"),
    (("host", "maintenance", "disable", "h2"), 4, "conflict", "operational"),
    (("job", "list", "--limit", "0"), 2, "invalid", "--limit"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "code", "word", "named"), CASES, ids=lambda v: str(v))
def test_an_error_under_json_prints_the_error_object_and_keeps_its_exit_code(
    small_cloud: Vacate, args: tuple[str, ...], code: int, word: str, named: str
) -> None:
    plain = small_cloud(*args, check=code)
    assert plain.stdout == "", describe(plain, "an error without -f json prints nothing on stdout")
    proc = small_cloud(*args, "-f", "json", check=code)
    error = parse_json(proc)["error"]
    assert error["code"] == word
    assert named in error["message"]
    assert one_line(error["message"]) in one_line(proc.stderr)


def test_a_config_file_with_an_unknown_key_stops_every_command_naming_it(
    small_cloud: Vacate,
) -> None:
    config = small_cloud.home.parent / "vacate.toml"
    config.write_text('db_url = "sqlite:///x.db"\n[server]\nbnd = "0.0.0.0:1"\n')
    for args in (("host", "list"), ("sim", "boot", "--flavor", "m1.small"), ("serve",)):
        proc = small_cloud(*args, env_extra={"VACATE_CONFIG": str(config)}, check=5)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and str(config) in lines[0] and "server.bnd" in lines[0], describe(
            proc
        )


def test_a_config_file_sets_what_the_environment_leaves_unset(small_cloud: Vacate) -> None:
    """The file's ``home`` is used when VACATE_HOME is not set: an empty home has no cloud."""
    config = small_cloud.home.parent / "vacate.toml"
    elsewhere = small_cloud.home.parent / "elsewhere"
    config.write_text(f'home = "{elsewhere}"\n')
    env = small_cloud.env({"VACATE_CONFIG": str(config)})
    del env["VACATE_HOME"]
    proc = subprocess.run(
        [str(VACATE), "host", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 5, describe(proc)  # no simulated cloud there: an environment problem
    assert str(elsewhere) in proc.stderr
    assert small_cloud("host", "list", env_extra={"VACATE_CONFIG": str(config)}).returncode == 0
