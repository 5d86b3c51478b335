"""Domain values as JSON: what ``-f json`` prints and the API returns — written once here."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from vacate.domain.events import Event
from vacate.domain.jobs import Job, Task
from vacate.domain.model import Instance, ServerGroup
from vacate.engine.shown import shown_state
from vacate.engine.summary import DrainSummary
from vacate.engine.views import HostView
from vacate.planning.preflight import DrainPlan
from vacate.ports.cloud import Migration


def iso(at: float | None) -> str | None:
    """Seconds since the epoch as ISO 8601 in UTC (``2026-12-02T01:55:03Z``). Both clouds keep
    epoch time: Nova's is the wall clock, the simulated cloud's starts at its ``sim init``."""
    if at is None or not math.isfinite(at):
        return None
    moment = datetime.fromtimestamp(at, tz=UTC)
    return moment.isoformat(timespec="milliseconds" if at % 1 else "seconds").replace("+00:00", "Z")


def host_to_dict(view: HostView) -> dict[str, Any]:
    h = view.host
    return {
        "name": h.name,
        "az": h.az,
        "state": "down" if not h.is_up else "up",
        "forced_down": h.forced_down,
        "service_status": h.service_status.value,
        "disabled_reason": h.disabled_reason,
        "maintenance_state": view.maintenance.state.value,
        "maintenance_reason": view.maintenance.reason,
        "instance_count": view.instance_count,
        "vcpus_used": view.vcpus_used,
        "vcpus_capacity": int(h.vcpus * h.cpu_allocation_ratio),
        "ram_mb_used": view.ram_mb_used,
        "ram_mb_capacity": int(h.ram_mb * h.ram_allocation_ratio),
        "disk_gb_used": view.disk_gb_used,
        "disk_gb_capacity": int(h.disk_gb * h.disk_allocation_ratio),
    }


def instance_to_dict(inst: Instance, *, groups: Mapping[str, str]) -> dict[str, Any]:
    """``groups``: server group id → name (``views.group_names``). ``server_groups`` keeps the
    ids (what the cloud's API takes); ``server_group_names`` is the same list as tables show it."""
    return {
        "id": inst.id,
        "name": inst.name,
        "project": inst.project,
        "host": inst.host,
        "vm_state": inst.vm_state.value,
        "power_state": inst.power_state.value,
        "task_state": inst.task_state,
        "locked": inst.locked,
        "flavor": {
            "name": inst.flavor.name,
            "vcpus": inst.flavor.vcpus,
            "ram_mb": inst.flavor.ram_mb,
            "disk_gb": inst.flavor.disk_gb,
        },
        "server_groups": list(inst.server_groups),
        "server_group_names": [groups.get(g, g) for g in inst.server_groups],
        "addresses": list(inst.addresses),
        "host_status": inst.host_status,
        "shown_state": shown_state(inst)[0],
        "shown_state_source": shown_state(inst)[1],
    }


def task_to_dict(task: Task) -> dict[str, Any]:
    return {
        "instance_id": task.instance_id,
        "instance_name": task.instance_name,
        "state_before": task.state_before,
        "power_before": task.power_before,
        "verdict": task.verdict.value,
        "status": task.status.value,
        "method": task.method.value if task.method else None,
        "source": task.source,
        "destination": task.destination,
        "planned_destination": task.planned_destination,
        "start": task.started_at,
        "end": task.ended_at,
        "start_iso": iso(task.started_at),
        "end_iso": iso(task.ended_at),
        "duration_s": task.duration_s,
        "downtime_s": task.downtime_s,
        "bytes_sent": task.bytes_sent,
        "progress": task.progress,
        "attempts": task.attempt,
        "escalations": [
            {"action": s.action, "at": s.at, "detail": s.detail} for s in task.escalations
        ],
        "outcome": task.outcome.value if task.outcome else None,
        "reason": task.reason,
        "prediction": task.prediction.to_dict() if task.prediction else None,
    }


def job_to_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind.value,
        "host": job.host,
        "status": job.status.value,
        "phase": job.phase.value,
        "message": job.message,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "created_at_iso": iso(job.created_at),
        "started_at_iso": iso(job.started_at),
        "finished_at_iso": iso(job.finished_at),
        "created_by": job.actor.name,
        "actor": {"name": job.actor.name, "role": job.actor.role.value, "origin": job.actor.origin},
        "owner": job.owner,
        "cancel_requested": job.cancel_requested,
        "options": job.options.to_dict(),
        "tasks": [task_to_dict(t) for t in job.tasks],
    }


def job_brief_to_dict(job: Job) -> dict[str, Any]:
    """A job in a list: its tasks counted, not listed."""
    data = job_to_dict(job)
    data["task_count"] = len(data.pop("tasks"))
    return data


def job_detail_to_dict(job: Job, summary: DrainSummary) -> dict[str, Any]:
    """A job with every task and the drain summary (``job show``, the end of a run)."""
    data = job_to_dict(job)
    data["summary"] = summary_to_dict(summary)
    return data


def migration_to_dict(migration: Migration) -> dict[str, Any]:
    return {
        "id": migration.id,
        "kind": migration.kind.value,
        "source": migration.source,
        "dest": migration.dest,
        "status": migration.status.value,
        "error": migration.error,
    }


def server_group_to_dict(group: ServerGroup) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "policy": group.policy.value}


def summary_to_dict(summary: DrainSummary) -> dict[str, Any]:
    return {
        "moved": summary.moved,
        "failed": summary.failed,
        "blocked": summary.blocked,
        "skipped": summary.skipped,
        "left_by_policy": summary.left_by_policy,
        "left_running": summary.left_running,
        "live_moved": summary.live_moved,
        "makespan_s": summary.makespan_s,
        "lower_bound_s": summary.lower_bound_s,
        "efficiency": summary.efficiency,
        "total_downtime_s": summary.total_downtime_s,
        "max_downtime_s": summary.max_downtime_s,
        "evacuated": summary.evacuated,
        "left_on_host": summary.left_on_host,
        "left_alone": summary.left_alone,
    }


def plan_to_dict(plan: DrainPlan) -> dict[str, Any]:
    return {
        "host": plan.source,
        "ok": plan.ok,
        "streams": plan.streams,
        "makespan_s": plan.makespan_s,
        "items": [
            {
                "instance_id": item.instance.id,
                "instance_name": item.instance.name,
                "vm_state": item.instance.vm_state.value,
                "power_state": item.instance.power_state.value,
                "verdict": item.verdict.value,
                "destination": item.destination,
                "order": item.order,
                "estimate_s": item.estimate_s,
                "reason": item.reason,
                "prediction": item.prediction.to_dict() if item.prediction else None,
            }
            for item in plan.items
        ],
    }


def event_to_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "at_iso": iso(event.at),
        "kind": event.kind.value,
        "instance_id": event.instance_id,
        "message": event.message,
        "actor": None
        if event.actor is None
        else {
            "name": event.actor.name,
            "role": event.actor.role.value,
            "origin": event.actor.origin,
        },
        "data": event.data,
    }
