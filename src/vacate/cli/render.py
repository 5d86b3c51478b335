"""Rich tables for hosts, instances, plans and job results, and the drain summary."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vacate.domain.events import Event
from vacate.domain.jobs import Job, Outcome, Task
from vacate.domain.model import Instance
from vacate.engine.shown import RECORDED, shown_state
from vacate.engine.summary import DrainSummary
from vacate.engine.views import HostView
from vacate.planning.preflight import DrainPlan
from vacate.ports.cloud import Migration
from vacate.serialize import host_to_dict, iso

OUTCOME_STYLE = {
    Outcome.MOVED: "green",
    Outcome.SKIPPED: "yellow",
    Outcome.BLOCKED: "red",
    Outcome.FAILED: "bold red",
}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(value: object) -> str:
    """User text (names, reasons) as literal text: no Rich markup, no terminal escapes."""
    return escape(_CONTROL.sub("?", str(value)))


def when(at: float | None) -> str:
    """A moment as an ISO 8601 time in UTC, to the second (``—`` if it has not happened)."""
    text = iso(None if at is None else float(int(at)))
    return text or "—"


def took(seconds: float | None) -> str:
    """A duration as a person reads it: ``0.4s``, ``12.3s``, ``2m 05s``, ``1h 02m``."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def job_times(job: Job) -> str:
    """When the job was created, started and ended, and how long it ran."""
    parts = [f"created {when(job.created_at)}"]
    if job.started_at is not None:
        parts.append(f"started {when(job.started_at)}")
    if job.finished_at is not None:
        parts.append(f"finished {when(job.finished_at)}")
        start = job.started_at if job.started_at is not None else job.created_at
        parts.append(f"took {took(job.finished_at - start)}")
    return ", ".join(parts)


def _num(value: float | None, fmt: str = "{:.1f}") -> str:
    return "—" if value is None else fmt.format(value)


def hosts_table(views: list[HostView], *, title: str = "Hosts") -> Table:
    table = Table(title=safe(title))
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
            safe(d["name"]),
            safe(d["az"]),
            f"[{state_style}]{d['state']}[/]" if state_style else d["state"],
            d["service_status"],
            d["maintenance_state"],
            str(d["instance_count"]),
            f"{d['vcpus_used']}/{d['vcpus_capacity']}",
            f"{d['ram_mb_used'] / 1024:.0f}/{d['ram_mb_capacity'] / 1024:.0f}",
            safe(d["disabled_reason"] or ""),
        )
    return table


def instances_table(
    instances: list[Instance],
    *,
    groups: Mapping[str, str],
    title: str | None = None,
) -> Table:
    """``groups``: server group id → name (``views.group_names``), to show names."""
    names = groups
    table = Table(title=safe(title or f"Instances ({len(instances)})"))
    for col in ("name", "id", "host", "vm_state", "power", "flavor", "groups", "addresses"):
        table.add_column(col)
    for i in instances:
        table.add_row(
            safe(i.name),
            safe(i.id),
            safe(i.host or "—"),
            _shown(i),
            i.power_state.value,
            safe(i.flavor.name),
            safe(",".join(names.get(g, g) for g in i.server_groups)),
            safe(",".join(i.addresses)),
        )
    return table


def _shown(inst: Instance) -> str:
    """The recorded state, or "stopped (host DOWN)" where only the host's status says so."""
    state, source = shown_state(inst)
    return state if source == RECORDED else f"{state} (host DOWN)"


def _schedule_caption(plan: DrainPlan) -> str | None:
    if plan.streams is None or plan.makespan_s is None:
        return None
    return (
        f"schedule: {plan.streams} move{'' if plan.streams == 1 else 's'} at once, "
        f"expected makespan {took(plan.makespan_s)}"
    )


def plan_table(plan: DrainPlan) -> Table:
    table = Table(
        title=safe(f"Plan for {plan.source}: {plan.summary()}"), caption=_schedule_caption(plan)
    )
    columns = ("#", "instance", "state", "verdict", "destination", "how", "start s", "takes s")
    for col in (*columns, "downtime s", "reason"):
        table.add_column(col)
    for item in sorted(plan.items, key=lambda i: i.order):
        style = {"blocked": "red", "skip": "yellow"}.get(item.verdict.value, "")
        p = item.prediction
        table.add_row(
            str(item.order),
            safe(item.instance.name),
            item.instance.vm_state.value,
            f"[{style}]{item.verdict.value}[/]" if style else item.verdict.value,
            safe(item.destination or "—"),
            p.approach.value if p else "—",
            _num(p.start_s if p else None),
            _num(p.duration_s if p else item.estimate_s),
            _num(p.downtime_s if p else None, "{:.3f}"),
            safe(item.reason),
        )
    return table


def _planned(t: Task) -> str:
    """The prediction beside the result: the approach and the expected duration."""
    p = t.prediction
    return "—" if p is None else f"{p.approach.value}, {took(p.duration_s)}"


def results_table(job: Job) -> Table:
    table = Table(
        title=safe(f"Job {job.id}: {job.kind.value} {job.host} — {job.status.value}"),
        caption=job_times(job),
    )
    for col in (
        "instance",
        "before",
        "method",
        "from",
        "to",
        "duration",
        "planned",
        "downtime s",
        "GiB sent",
        "tries",
        "escalations",
        "outcome",
        "reason",
    ):
        table.add_column(col)
    for t in job.tasks:
        style = OUTCOME_STYLE.get(t.outcome, "") if t.outcome else ""
        outcome = t.outcome.value if t.outcome else t.status.value
        table.add_row(
            safe(t.instance_name),
            t.state_before + (f", {t.power_before}" if t.power_before else ""),
            t.method.value if t.method else "—",
            safe(t.source),
            safe(t.destination or "—"),
            took(t.duration_s),
            _planned(t),
            _num(t.downtime_s, "{:.3f}"),
            f"{t.bytes_sent / 1024**3:.2f}",
            str(t.attempt),
            ", ".join(s.action for s in t.escalations) or "—",
            f"[{style}]{outcome}[/]" if style else outcome,
            safe(t.reason),
        )
    return table


def events_table(events: list[Event]) -> Table:
    table = Table(title=f"Events ({len(events)})")
    for col in ("#", "at", "+", "kind", "by", "message"):
        table.add_column(col)
    start = events[0].at if events else 0.0
    for e in events:
        who = e.actor.name if e.actor else ""
        table.add_row(
            str(e.seq),
            when(e.at),
            took(e.at - start),
            e.kind.value,
            safe(who),
            safe(e.message),
        )
    return table


def jobs_table(jobs: list[Job]) -> Table:
    table = Table(title="Jobs")
    for col in ("id", "kind", "host", "status", "phase", "created", "took", "by", "message"):
        table.add_column(col)
    for j in jobs:
        start = j.started_at if j.started_at is not None else j.created_at
        table.add_row(
            j.id,
            j.kind.value,
            safe(j.host),
            j.status.value,
            j.phase.value,
            when(j.created_at),
            took(None if j.finished_at is None else j.finished_at - start),
            safe(j.actor.name),
            safe(j.message),
        )
    return table


def migrations_table(migrations: list[Migration]) -> Table:
    table = Table(title=f"Migrations ({len(migrations)})")
    for col in ("id", "kind", "from", "to", "status", "error"):
        table.add_column(col)
    for m in migrations:
        table.add_row(
            safe(m.id), m.kind.value, safe(m.source), safe(m.dest or "—"), m.status.value,
            safe(m.error or ""),
        )  # fmt: skip
    return table


def print_summary(console: Console, summary: DrainSummary) -> None:
    parts = [
        f"moved {summary.moved}, failed {summary.failed}, "
        f"blocked {summary.blocked}, skipped {summary.skipped}"
    ]
    if summary.evacuated or summary.left_on_host:
        parts.append(
            f"evacuated {summary.evacuated}"
            + (
                f", [bold yellow]{summary.left_on_host} left on the failed host "
                "(each row says why)[/]"
                if summary.left_on_host
                else ""
            )
            + (f", {summary.left_alone} left alone as they were" if summary.left_alone else "")
        )
    if summary.left_by_policy:
        parts.append(
            f"[bold yellow]{summary.left_by_policy} left on the host by policy, "
            f"{summary.left_running} of them running[/]"
        )
    if summary.makespan_s is not None:
        what = "evacuation time" if summary.is_evacuation else "drain time"
        line = f"{what} {took(summary.makespan_s)}"
        if summary.lower_bound_s and summary.bound_is_meaningful:
            line += (
                f" vs lower bound {took(summary.lower_bound_s)} (efficiency "
                f"{summary.efficiency:.0%}: the shortest drain the source NIC allows ÷ this one)"
            )
        parts.append(line)
    if summary.live_moved:  # a cold move or an evacuation has no live-migration downtime
        parts.append(
            f"live-migration downtime: total {summary.total_downtime_s:.2f} s, "
            f"worst {summary.max_downtime_s:.3f} s"
        )
    console.print("[bold]Summary:[/] " + "; ".join(parts))
