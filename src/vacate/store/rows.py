"""Rows to domain values and back: the only place that knows how a job, task or event is laid
out in the tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
from vacate.domain.model import HostName, InstanceId, JobId, MigrationId
from vacate.domain.prediction import Prediction
from vacate.ports.store import HostMaintenance

T = TypeVar("T")


def _opt(wrap: Callable[[Any], T], value: Any) -> T | None:
    return None if value is None else wrap(value)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        return Role.SYSTEM


def actor_from(name: str, role: str, origin: str) -> Actor:
    return Actor(name=name, role=_role(role), origin=origin)


def job_from_row(row: Any, tasks: tuple[Task, ...]) -> Job:
    return Job(
        id=JobId(row["id"]),
        kind=JobKind(row["kind"]),
        host=HostName(row["host"]),
        status=JobStatus(row["status"]),
        options=JobOptions.from_dict(dict(row["options"] or {})),
        phase=JobPhase(row["phase"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        message=row["message"],
        actor=Actor(
            name=row["created_by"], role=_role(row["actor_role"]), origin=row["actor_origin"]
        ),
        cancel_requested=bool(row["cancel_requested"]),
        owner=row["lease_owner"],
        lease_expires=row["lease_expires"],
        found_state=row["found_state"],
        found_reason=row["found_reason"],
        waiting_since=row["waiting_since"],
        tasks=tasks,
    )


def task_values(task: Task) -> dict[str, Any]:
    return {
        "job_id": task.job_id,
        "instance_id": task.instance_id,
        "instance_name": task.instance_name,
        "state_before": task.state_before,
        "verdict": task.verdict.value,
        "source": task.source,
        "sort_order": task.order,
        "planned_destination": task.planned_destination,
        "status": task.status.value,
        "method": task.method.value if task.method is not None else None,
        "destination": task.destination,
        "migration_id": task.migration_id,
        "attempt": task.attempt,
        "started_at": task.started_at,
        "ended_at": task.ended_at,
        "downtime_s": task.downtime_s,
        "bytes_sent": task.bytes_sent,
        "progress": task.progress,
        "escalations": [
            {"action": step.action, "at": step.at, "detail": step.detail, "sent": step.sent}
            for step in task.escalations
        ],
        "outcome": task.outcome.value if task.outcome is not None else None,
        "reason": task.reason,
        "not_before": task.not_before,
        "power_before": task.power_before,
        "prediction": task.prediction.to_dict() if task.prediction is not None else None,
    }


def task_from_row(row: Any) -> Task:
    return Task(
        job_id=JobId(row["job_id"]),
        instance_id=InstanceId(row["instance_id"]),
        instance_name=row["instance_name"],
        state_before=row["state_before"],
        verdict=Verdict(row["verdict"]),
        source=HostName(row["source"]),
        order=row["sort_order"],
        planned_destination=_opt(HostName, row["planned_destination"]),
        status=TaskStatus(row["status"]),
        method=_opt(Method, row["method"]),
        destination=_opt(HostName, row["destination"]),
        migration_id=_opt(MigrationId, row["migration_id"]),
        attempt=row["attempt"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        downtime_s=row["downtime_s"],
        bytes_sent=row["bytes_sent"],
        progress=row["progress"],
        escalations=tuple(
            EscalationStep(
                action=str(step["action"]),
                at=float(step["at"]),
                detail=str(step.get("detail", "")),
                sent=bool(step.get("sent", True)),
            )
            for step in (row["escalations"] or [])
        ),
        outcome=_opt(Outcome, row["outcome"]),
        reason=row["reason"],
        not_before=row["not_before"],
        power_before=row["power_before"] or "",
        prediction=Prediction.from_dict(dict(row["prediction"])) if row["prediction"] else None,
    )


def event_from_row(row: Any) -> Event:
    actor = (
        Actor(name=row["actor_name"], role=_role(row["actor_role"]), origin=row["actor_origin"])
        if row["actor_name"]
        else None
    )
    return Event(
        job_id=JobId(row["job_id"]),
        seq=row["job_seq"],
        at=row["at"],
        kind=EventKind(row["kind"]),
        message=row["message"],
        instance_id=_opt(InstanceId, row["instance_id"]),
        actor=actor,
        data=dict(row["data"] or {}),
    )


def maintenance_from_row(row: Any) -> HostMaintenance:
    return HostMaintenance(
        host=HostName(row["host"]),
        state=MaintenanceState(row["state"]),
        reason=row["reason"],
        updated_at=row["updated_at"],
        job_id=_opt(JobId, row["job_id"]),
    )
