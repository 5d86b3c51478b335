"""The simulated cloud's description (``sim init --from-yaml``), checked against a schema before
anything is built: every error names the file, the path in it (``hosts[3].nic_gbit``) and what is
allowed; unknown keys are errors (a ``vcpu`` typo would otherwise give another flavor)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from vacate.domain.model import GroupPolicy, PowerState, VmState

Name = Annotated[str, Field(min_length=1, max_length=255)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlavorSpec(_Strict):
    name: Name
    vcpus: Count
    ram_mb: Count
    disk_gb: Annotated[int, Field(ge=0)] = 20


class HostSpec(_Strict):
    name: Name
    nic_gbit: Positive = 25.0
    az: Name = "nova"
    vcpus: Count = 32
    ram_mb: Count = 131072
    disk_gb: Count = 2000
    disabled_reason: str | None = None


class GroupSpec(_Strict):
    name: Name
    id: Name | None = None
    policy: GroupPolicy


class WorkloadSpec(_Strict):
    touched_mb: NonNegative | None = None
    dirty_mb_s: NonNegative | None = None
    wss_mb: NonNegative | None = None


class InstanceSpec(_Strict):
    name: Name | None = None
    id: Name | None = None
    host: Name
    flavor: Name = "m1.medium"
    vm_state: VmState = VmState.ACTIVE
    power_state: PowerState | None = None
    task_state: str | None = None
    project: Name = "demo"
    groups: list[Name] = []
    addresses: list[Name] | None = None
    locked: bool = False
    #: Owner's metadata, e.g. ``vacate:priority: "10"`` (evacuated first after a host down).
    metadata: dict[Name, Annotated[str, StringConstraints(max_length=255)]] = {}
    workload: WorkloadSpec | None = None


class CloudSpec(_Strict):
    hosts: Annotated[list[HostSpec], Field(min_length=1)]
    groups: list[GroupSpec] = []
    flavors: list[FlavorSpec] = []
    instances: list[InstanceSpec] = []


class CloudSpecError(ValueError):
    """A description that cannot be loaded; the message names the file and the path in it."""


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _duplicates(values: list[str]) -> list[int]:
    seen: set[str] = set()
    dupes = []
    for index, value in enumerate(values):
        if value in seen:
            dupes.append(index)
        seen.add(value)
    return dupes


def validate(data: Any, *, source: str, known_flavors: set[str]) -> CloudSpec:
    """``data`` as a checked description, or ``CloudSpecError`` naming what is wrong."""
    if not isinstance(data, dict):
        raise CloudSpecError(f"{source}: expected a mapping with 'hosts' and 'instances'")
    try:
        spec = CloudSpec.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()[:3]]
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise CloudSpecError(f"{source}: " + "; ".join(problems) + more) from None
    hosts = [h.name for h in spec.hosts]
    for index in _duplicates(hosts):
        raise CloudSpecError(f"{source}: hosts[{index}].name: {hosts[index]!r} appears twice")
    names = [g.name for g in spec.groups]
    for index in _duplicates(names):
        raise CloudSpecError(f"{source}: groups[{index}].name: {names[index]!r} appears twice")
    ids = [i.id for i in spec.instances if i.id is not None]
    for index in _duplicates(ids):
        raise CloudSpecError(f"{source}: instance id {ids[index]!r} appears twice")
    flavors = known_flavors | {f.name for f in spec.flavors}
    for index, inst in enumerate(spec.instances):
        where = f"{source}: instances[{index}]"
        if inst.host not in hosts:
            raise CloudSpecError(f"{where}.host: unknown host {inst.host!r}")
        if inst.flavor not in flavors:
            known = ", ".join(sorted(flavors))
            raise CloudSpecError(f"{where}.flavor: unknown flavor {inst.flavor!r}; known: {known}")
        for gi, group in enumerate(inst.groups):
            if group not in names:
                raise CloudSpecError(f"{where}.groups[{gi}]: unknown group {group!r}")
    return spec
