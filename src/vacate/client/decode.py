"""Documents (what ``vacate.serialize`` writes and the API answers) back into the values the
CLI's tables render. Both clients' answers pass through here, so a table drawn from a server's
answer is the table drawn in-process.

Only what the documents carry is restored; a field they leave out takes its default (a host's
capacity comes back with allocation ratio 1, already multiplied out).
"""

from __future__ import annotations

from typing import Any

from vacate.client.base import Doc
from vacate.domain.actors import Actor, Role
from vacate.domain.events import Event, EventKind
from vacate.domain.jobs import (
    EscalationStep,
    Job,
    JobKind,
    JobOptions,
    JobPhase,
    JobStatus,
    Method,
    Outcome,
    Task,
    TaskStatus,
    Verdict,
)
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import (
    Flavor,
    GroupId,
    Host,
    HostName,
    Instance,
    InstanceId,
    JobId,
    MigrationId,
    PowerState,
    ServiceState,
    ServiceStatus,
    VmState,
)
from vacate.domain.prediction import Prediction
from vacate.engine.summary import DrainSummary
from vacate.engine.views import HostView
from vacate.planning.preflight import DrainPlan, PlanItem
from vacate.ports.auth import AuditEntry
from vacate.ports.cloud import Migration, MigrationKind, MigrationStatus
from vacate.ports.store import HostMaintenance

_NO_FLAVOR = Flavor(name="", vcpus=0, ram_mb=0, disk_gb=0)


def _opt(value: Any, kind: Any) -> Any:
    return None if value is None else kind(value)


def host_view(d: Doc) -> HostView:
    name = HostName(d["name"])
    host = Host(
        name=name,
        az=d["az"],
        service_status=ServiceStatus(d["service_status"]),
        state=ServiceState(d["state"]),
        forced_down=d["forced_down"],
        vcpus=d["vcpus_capacity"],
        ram_mb=d["ram_mb_capacity"],
        disk_gb=d["disk_gb_capacity"],
        cpu_allocation_ratio=1.0,
        disabled_reason=d["disabled_reason"],
    )
    return HostView(
        host=host,
        maintenance=HostMaintenance(
            host=name,
            state=MaintenanceState(d["maintenance_state"]),
            reason=d["maintenance_reason"],
        ),
        instance_count=d["instance_count"],
        vcpus_used=d["vcpus_used"],
        ram_mb_used=d["ram_mb_used"],
        disk_gb_used=d["disk_gb_used"],
    )


def instance(d: Doc) -> Instance:
    f = d["flavor"]
    return Instance(
        id=InstanceId(d["id"]),
        name=d["name"],
        project=d["project"],
        flavor=Flavor(name=f["name"], vcpus=f["vcpus"], ram_mb=f["ram_mb"], disk_gb=f["disk_gb"]),
        vm_state=VmState(d["vm_state"]),
        power_state=PowerState(d["power_state"]),
        host=_opt(d["host"], HostName),
        task_state=d["task_state"],
        server_groups=tuple(GroupId(g) for g in d["server_groups"]),
        addresses=tuple(d["addresses"]),
        locked=d["locked"],
    )


def migration(d: Doc, instance_id: str = "") -> Migration:
    return Migration(
        id=MigrationId(d["id"]),
        instance_id=InstanceId(instance_id),
        kind=MigrationKind(d["kind"]),
        source=HostName(d["source"]),
        dest=_opt(d["dest"], HostName),
        status=MigrationStatus(d["status"]),
        created_at=0.0,
        error=d["error"],
    )


def plan(d: Doc) -> DrainPlan:
    source = HostName(d["host"])
    items = tuple(
        PlanItem(
            instance=Instance(
                id=InstanceId(i["instance_id"]),
                name=i["instance_name"],
                project="",
                flavor=_NO_FLAVOR,
                vm_state=VmState(i["vm_state"]),
                power_state=PowerState(i["power_state"]),
                host=source,
            ),
            verdict=Verdict(i["verdict"]),
            destination=_opt(i["destination"], HostName),
            reason=i["reason"],
            order=i["order"],
            estimate_s=i["estimate_s"],
            prediction=prediction(i.get("prediction")),
        )
        for i in d["items"]
    )
    return DrainPlan(
        source=source, items=items, streams=d.get("streams"), makespan_s=d.get("makespan_s")
    )


def prediction(d: Doc | None) -> Prediction | None:
    return None if d is None else Prediction.from_dict(dict(d))


def actor(d: Doc | None) -> Actor | None:
    if d is None:
        return None
    return Actor(name=d["name"], role=Role(d["role"]), origin=d["origin"])


def task(d: Doc, job_id: str) -> Task:
    return Task(
        job_id=JobId(job_id),
        instance_id=InstanceId(d["instance_id"]),
        instance_name=d["instance_name"],
        state_before=d["state_before"],
        verdict=Verdict(d["verdict"]),
        source=HostName(d["source"]),
        planned_destination=_opt(d["planned_destination"], HostName),
        status=TaskStatus(d["status"]),
        method=_opt(d["method"], Method),
        destination=_opt(d["destination"], HostName),
        attempt=d["attempts"],
        started_at=d["start"],
        ended_at=d["end"],
        downtime_s=d["downtime_s"],
        bytes_sent=d["bytes_sent"],
        progress=d.get("progress", 0.0),
        escalations=tuple(
            EscalationStep(action=s["action"], at=s["at"], detail=s["detail"])
            for s in d["escalations"]
        ),
        outcome=_opt(d["outcome"], Outcome),
        reason=d["reason"],
        prediction=prediction(d.get("prediction")),
    )


def job(d: Doc) -> Job:
    """A job document (with or without its tasks, with or without its summary)."""
    return Job(
        id=JobId(d["id"]),
        kind=JobKind(d["kind"]),
        host=HostName(d["host"]),
        status=JobStatus(d["status"]),
        options=JobOptions.from_dict(d["options"]),
        phase=JobPhase(d["phase"]),
        created_at=d["created_at"],
        started_at=d["started_at"],
        finished_at=d["finished_at"],
        message=d["message"],
        actor=actor(d["actor"]) or Actor(name=d["created_by"]),
        cancel_requested=d["cancel_requested"],
        owner=d["owner"],
        tasks=tuple(task(t, d["id"]) for t in d.get("tasks", ())),
    )


def summary(d: Doc) -> DrainSummary:
    return DrainSummary(
        makespan_s=d["makespan_s"],
        lower_bound_s=d["lower_bound_s"],
        moved=d["moved"],
        failed=d["failed"],
        blocked=d["blocked"],
        skipped=d["skipped"],
        total_downtime_s=d["total_downtime_s"],
        max_downtime_s=d["max_downtime_s"],
        left_by_policy=d["left_by_policy"],
        left_running=d["left_running"],
        live_moved=d["live_moved"],
        evacuated=d.get("evacuated", 0),
        left_on_host=d.get("left_on_host", 0),
        left_alone=d.get("left_alone", 0),
    )


def event(d: Doc, job_id: str) -> Event:
    return Event(
        job_id=JobId(job_id),
        seq=d["seq"],
        at=d["at"],
        kind=EventKind(d["kind"]),
        message=d["message"],
        instance_id=_opt(d["instance_id"], InstanceId),
        actor=actor(d["actor"]),
        data=d["data"],
    )


def audit_entry(d: Doc) -> AuditEntry:
    return AuditEntry(**d)
