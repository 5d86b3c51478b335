"""Rich tables for hosts, instances, plans and job results, and the drain summary."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vacate.domain.events import Event
from vacate.domain.jobs import Job, Outcome
from vacate.domain.model import Instance
from vacate.engine.summary import DrainSummary
from vacate.engine.views import HostView
from vacate.planning.preflight import DrainPlan
from vacate.serialize import host_to_dict

OUTCOME_STYLE = {
    Outcome.MOVED: "green",
    Outcome.SKIPPED: "yellow",
    Outcome.BLOCKED: "red",
    Outcome.FAILED: "bold red",
}


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "—" if value is None else fmt.format(value)


def hosts_table(views: list[HostView]) -> Table:
    table = Table(title="Hosts")
    for col in (
        "name",
        "az",
        "state",
        "service",
        "maintenance",
        "instances",
        "vCPUs",
        "RAM GiB",
        "reason",
    ):
        table.add_column(col)
    for v in views:
        d = host_to_dict(v)
        state_style = "red" if d["state"] == "down" else ""
        table.add_row(
            d["name"],
            d["az"],
            f"[{state_style}]{d['state']}[/]" if state_style else d["state"],
            d["service_status"],
            d["maintenance_state"],
            str(d["instance_count"]),
            f"{d['vcpus_used']}/{d['vcpus_capacity']}",
            f"{d['ram_mb_used'] / 1024:.0f}/{d['ram_mb_capacity'] / 1024:.0f}",
            d["disabled_reason"] or "",
        )
    return table


def instances_table(instances: list[Instance]) -> Table:
    table = Table(title=f"Instances ({len(instances)})")
    for col in ("name", "id", "host", "vm_state", "power", "flavor", "groups", "addresses"):
        table.add_column(col)
    for i in instances:
        table.add_row(
            i.name,
            i.id,
            i.host or "—",
            i.vm_state.value,
            i.power_state.value,
            i.flavor.name,
            ",".join(i.server_groups),
            ",".join(i.addresses),
        )
    return table


def plan_table(plan: DrainPlan) -> Table:
    table = Table(title=f"Plan for {plan.source}: {plan.summary()}")
    for col in ("#", "instance", "state", "verdict", "destination", "est. s", "reason"):
        table.add_column(col)
    for item in sorted(plan.items, key=lambda i: i.order):
        style = {"blocked": "red", "skip": "yellow"}.get(item.verdict.value, "")
        table.add_row(
            str(item.order),
            item.instance.name,
            item.instance.vm_state.value,
            f"[{style}]{item.verdict.value}[/]" if style else item.verdict.value,
            item.destination or "—",
            _num(item.estimate_s),
            item.reason,
        )
    return table


def results_table(job: Job) -> Table:
    table = Table(title=f"Job {job.id}: {job.kind.value} {job.host} — {job.status.value}")
    for col in (
        "instance",
        "before",
        "method",
        "from",
        "to",
        "duration s",
        "downtime s",
        "GiB sent",
        "escalations",
        "outcome",
        "reason",
    ):
        table.add_column(col)
    for t in job.tasks:
        style = OUTCOME_STYLE.get(t.outcome, "") if t.outcome else ""
        outcome = t.outcome.value if t.outcome else t.status.value
        table.add_row(
            t.instance_name,
            t.state_before,
            t.method.value if t.method else "—",
            t.source,
            t.destination or "—",
            _num(t.duration_s),
            _num(t.downtime_s, "{:.3f}"),
            f"{t.bytes_sent / 1024**3:.2f}",
            ", ".join(s.action for s in t.escalations) or "—",
            f"[{style}]{outcome}[/]" if style else outcome,
            t.reason,
        )
    return table


def events_table(events: list[Event]) -> Table:
    table = Table(title=f"Events ({len(events)})")
    for col in ("#", "at s", "kind", "message"):
        table.add_column(col)
    start = events[0].at if events else 0.0
    for e in events:
        table.add_row(str(e.seq), f"{e.at - start:.1f}", e.kind, e.message)
    return table


def jobs_table(jobs: list[Job]) -> Table:
    table = Table(title="Jobs")
    for col in ("id", "kind", "host", "status", "phase", "message"):
        table.add_column(col)
    for j in jobs:
        table.add_row(j.id, j.kind.value, j.host, j.status.value, j.phase.value, j.message)
    return table


def print_summary(console: Console, summary: DrainSummary) -> None:
    parts = [
        f"moved {summary.moved}, failed {summary.failed}, "
        f"blocked {summary.blocked}, skipped {summary.skipped}"
    ]
    if summary.left_by_policy:
        parts.append(
            f"[bold yellow]{summary.left_by_policy} left on the host by policy, "
            f"{summary.left_running} of them running[/]"
        )
    if summary.makespan_s is not None:
        line = f"drain time {summary.makespan_s:.1f} s"
        if summary.lower_bound_s:
            line += f" vs lower bound {summary.lower_bound_s:.1f} s"
            if summary.efficiency is not None:
                line += f" (efficiency {summary.efficiency:.0%})"
        parts.append(line)
    parts.append(
        f"live-migration downtime: total {summary.total_downtime_s:.2f} s, "
        f"worst {summary.max_downtime_s:.3f} s"
    )
    console.print("[bold]Summary:[/] " + "; ".join(parts))
