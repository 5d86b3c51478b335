"""``vacate sim init --from-yaml`` over random hostile documents, run in-process through the
CLI's own entry point: each one either loads whole or is refused with one line that names the
file and the path in it — never a traceback, never a partly loaded cloud."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vacate.cli.app import main

from .test_yaml_schema import GOOD, documents


def run(args: list[str], home: Path) -> tuple[int, str, str]:
    """``vacate ARGS`` in this process with ``VACATE_HOME=home``: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    saved_env = {k: v for k, v in os.environ.items() if k.startswith("VACATE_")}
    for key in saved_env:
        del os.environ[key]
    os.environ.update(VACATE_HOME=str(home), VACATE_SIM_SPEED="max")
    saved_argv = sys.argv
    sys.argv = ["vacate", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved_argv
        for key in [k for k in os.environ if k.startswith("VACATE_")]:
            del os.environ[key]
        os.environ.update(saved_env)
    return code, out.getvalue(), err.getvalue()


#: YAML texts that are not what ``safe_dump`` writes: tags, aliases, broken syntax, binary.
RAW = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "hosts: [c1\n",
            "hosts: !!python/object/apply:os.system ['true']\n",
            "hosts: &h [{name: c1}]\ninstances: [{host: *h}]\n",
            "hosts:\n  - name: c1\n  - name: c1\n",
            "\x00\x01\x02",
            "hosts: [{name: c1, nic_gbit: .nan}]\n",
            "hosts: [{name: c1, nic_gbit: .inf}]\n",
            "? [a, b]\n: c\n",
            "hosts: [{name: c1}]\ninstances: [{host: c1, flavor: m1.small, vm_state: frozen}]\n",
            "--- \n...\n",
            "hosts: " + "[" * 200 + "]" * 200 + "\n",
        ]
    ),
)
DOCUMENTS = st.one_of(
    documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    st.builds(lambda h: yaml.safe_dump({**GOOD, "hosts": h}), documents),
    RAW,
)


def check_init(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hostile cloud.yaml"
        path.write_text(text, errors="surrogateescape")
        home = Path(tmp) / "home"
        code, out, err = run(["sim", "init", "--from-yaml", str(path)], home)
        assert "Traceback" not in out + err, err
        if code == 0:
            listed = run(["host", "list", "-f", "json"], home)
            assert listed[0] == 0, listed
            return
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2, (code, err)
        assert len(lines) == 1, err
        assert str(path) in " ".join(err.split()), err
        assert not (home / "sim-cloud.db").exists(), "a refused description left a cloud"
        assert not (home / "vacate.db").exists(), "a refused description left a database"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text=DOCUMENTS)
@example(text=yaml.safe_dump(GOOD))
def test_a_hostile_yaml_document_either_loads_whole_or_is_refused_in_one_line_naming_the_file(
    text: str,
) -> None:
    check_init(text)


def test_the_good_description_loads_through_the_cli() -> None:
    """The property's other branch is reached: a good description makes a cloud."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cloud.yaml"
        path.write_text(yaml.safe_dump(GOOD))
        code, out, err = run(["sim", "init", "--from-yaml", str(path)], Path(tmp) / "home")
        assert code == 0, err
        assert "2 hosts, 1 instances" in out
        assert (Path(tmp) / "home" / "sim-cloud.db").exists()
