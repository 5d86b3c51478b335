"""Read models: hosts with usage and maintenance state, as every interface shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vacate.domain.jobs import Event, Job, Task
from vacate.domain.model import Host, Instance
from vacate.engine.context import Context
from vacate.planning.hoststate import holds_resources
from vacate.planning.preflight import DrainPlan
from vacate.ports.store import HostMaintenance


@dataclass(frozen=True, kw_only=True)
class HostView:
    host: Host
    maintenance: HostMaintenance
    instance_count: int
    vcpus_used: int
    ram_mb_used: int
    disk_gb_used: int

    def to_dict(self) -> dict[str, Any]:
        h = self.host
        return {
            "name": h.name,
            "az": h.az,
            "state": "down" if not h.is_up else "up",
            "forced_down": h.forced_down,
            "service_status": h.service_status.value,
            "disabled_reason": h.disabled_reason,
            "maintenance_state": self.maintenance.state.value,
            "maintenance_reason": self.maintenance.reason,
            "instance_count": self.instance_count,
            "vcpus_used": self.vcpus_used,
            "vcpus_capacity": int(h.vcpus * h.cpu_allocation_ratio),
            "ram_mb_used": self.ram_mb_used,
            "ram_mb_capacity": int(h.ram_mb * h.ram_allocation_ratio),
            "disk_gb_used": self.disk_gb_used,
            "disk_gb_capacity": int(h.disk_gb * h.disk_allocation_ratio),
        }


def host_views(ctx: Context, only: str | None = None) -> list[HostView]:
    hosts = [ctx.cloud.get_host(only)] if only else ctx.cloud.list_hosts()
    instances = ctx.cloud.list_instances()
    views = []
    for host in hosts:
        mine = [i for i in instances if i.host == host.name and holds_resources(i)]
        views.append(
            HostView(
                host=host,
                maintenance=ctx.store.get_maintenance(host.name),
                instance_count=len(mine),
                vcpus_used=sum(i.flavor.vcpus for i in mine),
                ram_mb_used=sum(i.flavor.ram_mb for i in mine),
                disk_gb_used=sum(i.flavor.disk_gb for i in mine),
            )
        )
    return views


def instance_to_dict(inst: Instance) -> dict[str, Any]:
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
        "addresses": list(inst.addresses),
    }


def task_to_dict(task: Task) -> dict[str, Any]:
    return {
        "instance_id": task.instance_id,
        "instance_name": task.instance_name,
        "state_before": task.state_before,
        "verdict": task.verdict.value,
        "status": task.status.value,
        "method": task.method.value if task.method else None,
        "source": task.source,
        "destination": task.destination,
        "planned_destination": task.planned_destination,
        "start": task.started_at,
        "end": task.ended_at,
        "duration_s": task.duration_s,
        "downtime_s": task.downtime_s,
        "bytes_sent": task.bytes_sent,
        "attempts": task.attempt,
        "escalations": [
            {"action": s.action, "at": s.at, "detail": s.detail} for s in task.escalations
        ],
        "outcome": task.outcome.value if task.outcome else None,
        "reason": task.reason,
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
        "created_by": job.created_by,
        "cancel_requested": job.cancel_requested,
        "options": job.options.to_dict(),
        "tasks": [task_to_dict(t) for t in job.tasks],
    }


def plan_to_dict(plan: DrainPlan) -> dict[str, Any]:
    return {
        "host": plan.source,
        "ok": plan.ok,
        "items": [
            {
                "instance_id": item.instance.id,
                "instance_name": item.instance.name,
                "vm_state": item.instance.vm_state.value,
                "verdict": item.verdict.value,
                "destination": item.destination,
                "order": item.order,
                "estimate_s": item.estimate_s,
                "reason": item.reason,
            }
            for item in plan.items
        ],
    }


def event_to_dict(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "instance_id": event.instance_id,
        "message": event.message,
        "data": event.data,
    }
