"""Make a simulated cloud: seeded at random (``vacate sim init``) or exactly from a YAML file.

Random clouds mix instance states (mostly running, some stopped, a few paused, suspended or in
error), workloads (mostly calm, a few memory-hot guests that will not converge without help),
and server groups (a hard anti-affinity group, a soft one, an affinity pair), placed by the
same filters the scheduler uses, so the generated cloud is always a valid one.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from vacate.clouds.sim.consistency import check_consistent
from vacate.clouds.sim.schema import CloudSpecError, validate
from vacate.clouds.sim.state import SimState
from vacate.domain.model import (
    GIB,
    MIB,
    Flavor,
    GroupId,
    GroupPolicy,
    Host,
    HostName,
    Instance,
    InstanceId,
    PowerState,
    ServerGroup,
    ServiceState,
    ServiceStatus,
    VmState,
    Workload,
)
from vacate.planning.filters import RequestSpec, group_hosts
from vacate.planning.hoststate import build_host_states
from vacate.planning.scheduler import select_destination

GBIT = 1e9 / 8

FLAVORS: dict[str, Flavor] = {
    f.name: f
    for f in (
        Flavor(name="m1.small", vcpus=1, ram_mb=2048, disk_gb=20),
        Flavor(name="m1.medium", vcpus=2, ram_mb=4096, disk_gb=40),
        Flavor(name="m1.large", vcpus=4, ram_mb=8192, disk_gb=80),
        Flavor(name="m1.xlarge", vcpus=8, ram_mb=16384, disk_gb=160),
    )
}

#: (vm_state, power_state, weight) of generated instances.
STATE_MIX: tuple[tuple[VmState, PowerState, float], ...] = (
    (VmState.ACTIVE, PowerState.RUNNING, 0.80),
    (VmState.STOPPED, PowerState.SHUTDOWN, 0.12),
    (VmState.PAUSED, PowerState.PAUSED, 0.04),
    (VmState.SUSPENDED, PowerState.SUSPENDED, 0.02),
    (VmState.ERROR, PowerState.NOSTATE, 0.02),
)


def calm_workload(rng: random.Random, flavor: Flavor) -> Workload:
    ram = flavor.ram_mb * MIB
    return Workload(
        touched_bytes=ram * rng.uniform(0.15, 0.6),
        dirty_rate=rng.uniform(5, 120) * MIB,
        wss_bytes=ram * rng.uniform(0.02, 0.1),
    )


def hot_workload(rng: random.Random, flavor: Flavor) -> Workload:
    """Dirties memory faster than one stream sends it, over a large working set."""
    ram = flavor.ram_mb * MIB
    return Workload(
        touched_bytes=ram * rng.uniform(0.6, 0.9),
        dirty_rate=rng.uniform(1.4, 2.2) * GIB,
        wss_bytes=min(ram * 0.5, rng.uniform(0.6, 1.5) * GIB),
    )


def make_host(
    name: str,
    *,
    nic_gbit: float = 25.0,
    az: str = "nova",
    vcpus: int = 32,
    ram_mb: int = 131072,
    disk_gb: int = 2000,
) -> Host:
    return Host(
        name=HostName(name),
        az=az,
        service_status=ServiceStatus.ENABLED,
        state=ServiceState.UP,
        vcpus=vcpus,
        ram_mb=ram_mb,
        disk_gb=disk_gb,
        nic_bytes_per_s=nic_gbit * GBIT,
    )


def _place(state: SimState, inst: Instance, rng: random.Random) -> HostName | None:
    """A random host that passes every scheduler filter, or None."""
    names = sorted(state.hosts)
    rng.shuffle(names)
    states = build_host_states(list(state.hosts.values()), list(state.instances.values()), {})
    members = group_hosts(inst, state.instances.values())
    for name in names:
        spec = RequestSpec(
            instance=inst,
            groups=dict(state.groups),
            source=None,
            az=None,
            target=HostName(name),
            group_hosts=members,
        )
        if select_destination(spec, states).host is not None:
            return HostName(name)
    return None


def generate(*, hosts: int, instances: int, seed: int, hot_fraction: float = 0.06) -> SimState:
    if hosts < 2:
        raise ValueError("a cloud needs at least 2 hosts to drain one")
    rng = random.Random(seed)
    state = SimState()
    for i in range(hosts):
        name = f"c{i + 1:02d}"
        state.hosts[name] = make_host(name, nic_gbit=25.0 if i % 4 else 10.0)
    groups = [
        ServerGroup(id=GroupId("grp-web"), name="web", policy=GroupPolicy.ANTI_AFFINITY),
        ServerGroup(id=GroupId("grp-cache"), name="cache", policy=GroupPolicy.SOFT_ANTI_AFFINITY),
        ServerGroup(id=GroupId("grp-db"), name="db-pair", policy=GroupPolicy.AFFINITY),
    ]
    state.groups = {g.id: g for g in groups}
    membership: list[tuple[GroupId, ...]] = [(GroupId("grp-web"),)] * min(3, hosts - 1)
    membership += [(GroupId("grp-cache"),)] * 3 + [(GroupId("grp-db"),)] * 2
    flavors = list(FLAVORS.values())
    for n in range(instances):
        flavor = rng.choices(flavors, weights=(3, 4, 3, 1))[0]
        vm_state, power, _ = rng.choices(STATE_MIX, weights=[w for *_, w in STATE_MIX])[0]
        groups_of = membership[n] if n < len(membership) else ()
        if groups_of:
            vm_state, power = VmState.ACTIVE, PowerState.RUNNING
        hot = vm_state is VmState.ACTIVE and rng.random() < hot_fraction
        inst = Instance(
            id=InstanceId(state.new_id("inst")),
            name=f"{(groups_of and state.groups[groups_of[0]].name) or 'vm'}-{n + 1:03d}",
            project=rng.choice(("alpha", "beta", "gamma")),
            flavor=flavor,
            vm_state=vm_state,
            power_state=power,
            host=None,
            server_groups=groups_of,
            addresses=(f"10.0.{n // 250}.{n % 250 + 2}",),
            workload=(hot_workload if hot else calm_workload)(rng, flavor),
        )
        host = _place(state, inst, rng)
        if host is None:
            continue  # the cloud is full: a smaller cloud than asked, still a valid one
        state.instances[inst.id] = _with_host(inst, host, state)
    return state


def _with_host(inst: Instance, host: HostName, state: SimState) -> Instance:
    return replace(inst, host=host, az=state.hosts[host].az)


# ---------------------------------------------------------------------- YAML
def load_yaml(path: Path) -> SimState:
    """A cloud described exactly: hosts, groups, flavors and instances (see README)."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise CloudSpecError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise CloudSpecError(f"{path} is not valid YAML: {_yaml_problem(exc)}") from None
    except (RecursionError, MemoryError):
        raise CloudSpecError(f"{path} is nested too deeply to be a cloud description") from None
    state = from_mapping(data, source=str(path))
    check_consistent(state, source=str(path))  # an operator's file: a cloud that can exist
    return state


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """What is wrong and where, on one line (PyYAML's own text spans several)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    return " ".join(str(exc).replace('in "<unicode string>", ', "").split())


def from_mapping(data: Any, *, source: str = "the cloud description") -> SimState:
    """Build the described cloud; the description is checked first (``schema.validate``), so a
    bad one is refused whole, never half loaded."""
    validate(data, source=source, known_flavors=set(FLAVORS))
    state = SimState()
    flavors = dict(FLAVORS)
    for f in data.get("flavors", []):
        flavors[f["name"]] = Flavor(
            name=f["name"],
            vcpus=int(f["vcpus"]),
            ram_mb=int(f["ram_mb"]),
            disk_gb=int(f.get("disk_gb", 20)),
        )
    for h in data.get("hosts", []):
        made = make_host(
            str(h["name"]),
            nic_gbit=float(h.get("nic_gbit", 25)),
            az=str(h.get("az", "nova")),
            vcpus=int(h.get("vcpus", 32)),
            ram_mb=int(h.get("ram_mb", 131072)),
            disk_gb=int(h.get("disk_gb", 2000)),
        )
        if h.get("disabled_reason"):
            made = replace(
                made,
                service_status=ServiceStatus.DISABLED,
                disabled_reason=str(h["disabled_reason"]),
            )
        state.hosts[made.name] = made
    for g in data.get("groups", []):
        gid = GroupId(str(g.get("id", f"grp-{g['name']}")))
        state.groups[gid] = ServerGroup(
            id=gid, name=str(g["name"]), policy=GroupPolicy(g["policy"])
        )
    by_name = {g.name: g.id for g in state.groups.values()}
    for n, i in enumerate(data.get("instances", [])):
        flavor_name = str(i.get("flavor", "m1.medium"))
        if flavor_name not in flavors:
            raise ValueError(f"instance {i.get('name')!r}: unknown flavor {flavor_name!r}")
        flavor = flavors[flavor_name]
        host = str(i["host"])
        if host not in state.hosts:
            raise ValueError(f"instance {i.get('name')!r}: unknown host {host!r}")
        vm_state = VmState(i.get("vm_state", "active"))
        default_power = {
            VmState.ACTIVE: PowerState.RUNNING,
            VmState.PAUSED: PowerState.PAUSED,
            VmState.SUSPENDED: PowerState.SUSPENDED,
        }.get(vm_state, PowerState.SHUTDOWN)
        w = i.get("workload", {})
        ram = flavor.ram_mb * MIB
        inst = Instance(
            id=InstanceId(str(i.get("id", state.new_id("inst")))),
            name=str(i.get("name", f"vm-{n + 1:03d}")),
            project=str(i.get("project", "demo")),
            flavor=flavor,
            vm_state=vm_state,
            power_state=PowerState(i.get("power_state", default_power.value)),
            task_state=i.get("task_state"),
            host=HostName(host),
            server_groups=tuple(by_name[g] for g in i.get("groups", [])),
            addresses=tuple(i.get("addresses", [f"10.1.{n // 250}.{n % 250 + 2}"])),
            locked=bool(i.get("locked", False)),
            metadata=tuple(sorted((str(k), str(v)) for k, v in i.get("metadata", {}).items())),
            az=state.hosts[host].az,
            workload=Workload(
                touched_bytes=float(w.get("touched_mb", ram / MIB * 0.3)) * MIB,
                dirty_rate=float(w.get("dirty_mb_s", 20)) * MIB,
                wss_bytes=float(w.get("wss_mb", ram / MIB * 0.05)) * MIB,
            ),
        )
        state.instances[inst.id] = inst
    if len(state.hosts) < 1:
        raise ValueError("a cloud needs hosts")
    return state
