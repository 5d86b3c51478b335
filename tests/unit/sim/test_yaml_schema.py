"""The simulated cloud's YAML is checked by a schema: every error names the path in the file and
what is allowed, unknown keys are errors, and nothing is ever half loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vacate.clouds.sim.generate import from_mapping, load_yaml
from vacate.clouds.sim.schema import CloudSpecError

GOOD: dict[str, Any] = {
    "hosts": [{"name": "c1"}, {"name": "c2", "nic_gbit": 10}],
    "groups": [{"name": "web", "policy": "anti-affinity"}],
    "instances": [{"name": "a", "host": "c1", "flavor": "m1.small", "groups": ["web"]}],
}


def with_(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one value replaced (``hosts.1.nic_gbit``)."""
    doc: Any = yaml.safe_load(yaml.safe_dump(GOOD))
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"hosts": "c1"}, "hosts: Input should be a valid list"),
        (with_("hosts.0", {"nic_gbit": 25}), "hosts[0].name: Field required"),
        (with_("instances.0", "a"), "instances[0]"),
        (with_("hosts.1.nic_gbit", 0), "hosts[1].nic_gbit: Input should be greater than 0"),
        (with_("hosts.0.ram_mb", -1), "hosts[0].ram_mb: Input should be greater than 0"),
        (with_("hosts.0.vcpu", 8), "hosts[0].vcpu: Extra inputs are not permitted"),
        (with_("instances.0.flavour", "m1.large"), "instances[0].flavour: Extra inputs"),
        (with_("instances.0.groups", ["nope"]), "instances[0].groups[0]: unknown group 'nope'"),
        (with_("instances.0.host", "c9"), "instances[0].host: unknown host 'c9'"),
        (with_("instances.0.flavor", "huge"), "instances[0].flavor: unknown flavor 'huge'"),
        (with_("instances.0.workload", {"dirty_mb_s": -5}), "instances[0].workload.dirty_mb_s"),
        (with_("hosts.1.name", "c1"), "hosts[1].name: 'c1' appears twice"),
        (with_("groups.0.policy", "close"), "groups[0].policy: Input should be"),
        ([1, 2], "expected a mapping"),
    ],
)
def test_a_bad_description_is_refused_naming_the_path(doc: Any, says: str) -> None:
    with pytest.raises(CloudSpecError) as refused:
        from_mapping(doc, source="cloud.yaml")
    assert str(refused.value).startswith("cloud.yaml")
    assert says in str(refused.value)


def test_a_good_description_loads_exactly(tmp_path: Path) -> None:
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    state = load_yaml(path)
    assert sorted(state.hosts) == ["c1", "c2"]
    assert state.hosts["c2"].nic_bytes_per_s == pytest.approx(10e9 / 8)
    (inst,) = state.instances.values()
    assert inst.host == "c1" and inst.flavor.name == "m1.small"


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cloud.yaml"
    path.write_text("hosts: [c1\n")
    with pytest.raises(CloudSpecError, match=str(path)):
        load_yaml(path)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["c1", "c2", "web", "m1.small", "active", "anti-affinity", "x"]),
)
keys = st.sampled_from(
    ["hosts", "instances", "groups", "flavors", "name", "host", "flavor", "nic_gbit", "vcpus",
     "ram_mb", "policy", "groups", "workload", "vm_state", "id", "vcpu", "ram", "flavour"]
)  # fmt: skip
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(doc=st.one_of(documents, st.builds(lambda h: {**GOOD, "hosts": h}, documents)))
def test_a_hostile_document_either_loads_or_is_refused_naming_a_path(doc: Any) -> None:
    try:
        state = from_mapping(doc, source="cloud.yaml")
    except CloudSpecError as refused:
        message = str(refused)
        assert message.startswith("cloud.yaml") and "Traceback" not in message
        assert ":" in message
        return
    assert state.hosts, "a loaded cloud has hosts"
    for inst in state.instances.values():
        assert inst.host in state.hosts


IMPOSSIBLE = [
    (
        {
            "hosts": [{"name": "c1", "ram_mb": 1024}, {"name": "c2"}],
            "instances": [{"name": "big", "host": "c1", "flavor": "m1.xlarge"}],
        },
        "host 'c1': its instances need 16384 MB of RAM, it has 1024 MB",
    ),
    (
        {
            "hosts": [{"name": "c1"}],
            "instances": [
                {"name": "a", "host": "c1", "flavor": "m1.small", "workload": {"touched_mb": 99999}}
            ],
        },
        "instance 'a': workload touched_mb 99999",
    ),
    (
        {
            "hosts": [{"name": "c1"}],
            "instances": [
                {"name": "a", "host": "c1", "flavor": "m1.small", "workload": {"wss_mb": 5000}}
            ],
        },
        "instance 'a': workload wss_mb 5000",
    ),
    (
        {
            "hosts": [{"name": "c1"}, {"name": "c2"}],
            "groups": [{"name": "web", "policy": "anti-affinity"}],
            "instances": [
                {"name": "a", "host": "c1", "groups": ["web"]},
                {"name": "b", "host": "c1", "groups": ["web"]},
            ],
        },
        "group 'web' (anti-affinity) must keep its members each on a host of its own",
    ),
    (
        {
            "hosts": [{"name": "c1"}, {"name": "c2"}],
            "groups": [{"name": "db", "policy": "affinity"}],
            "instances": [
                {"name": "a", "host": "c1", "groups": ["db"]},
                {"name": "b", "host": "c2", "groups": ["db"]},
            ],
        },
        "group 'db' (affinity) must keep its members on one host; they are on c1, c2",
    ),
]


@pytest.mark.parametrize(("doc", "says"), IMPOSSIBLE)
def test_a_cloud_that_cannot_exist_is_refused_naming_what(
    tmp_path: Path, doc: Any, says: str
) -> None:
    path = tmp_path / "cloud.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(CloudSpecError) as refused:
        load_yaml(path)
    assert str(refused.value).startswith(str(path)) and says in str(refused.value)
