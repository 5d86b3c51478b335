"""The dashboard's pages: hosts, a host, jobs, a job (live or its results), the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from vacate.api.policy import Caller
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.jobs import JobKind, JobStatus
from vacate.domain.model import JobId
from vacate.engine.context import Context
from vacate.engine.views import host_views
from vacate.ports.auth import AuditQuery
from vacate.serialize import host_to_dict
from vacate.web import host_actions
from vacate.web.access import page
from vacate.web.forms import default_values
from vacate.web.plan_view import Preview
from vacate.web.render import page as render
from vacate.web.results import live_view

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]
Filter = Annotated[str, Query(max_length=255)]


@router.get("/")
def hosts_page(
    request: Request, caller: Annotated[Caller, page(Role.READER, "web.hosts")], svc: Svc
) -> HTMLResponse:
    hosts = [host_to_dict(v) for v in host_views(svc.read_ctx())]
    return render(request, "hosts.html", caller, hosts=hosts)


def host_page(
    request: Request,
    caller: Caller,
    ctx: Context,
    host: str,
    *,
    preview: Preview | None = None,
    values: dict[str, Any] | None = None,
    message: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The host page; a preview and the form's values when an admin asked for one."""
    view = host_views(ctx, only=host)[0]
    groups = {g.id: g.name for g in ctx.cloud.list_server_groups()}
    instances = ctx.cloud.list_instances(view.host.name)
    others = sorted(h.name for h in ctx.cloud.list_hosts() if h.name != view.host.name)
    return render(
        request,
        "host.html",
        caller,
        status=status,
        host=host_to_dict(view),
        instances=instances,
        groups=groups,
        others=others,
        jobs=ctx.store.list_jobs(host=view.host.name, limit=10),
        active=ctx.store.active_job(view.host.name),
        preview=preview,
        values=values or default_values(),
        message=message,
        extra_actions=host_actions.actions_for(view),
    )


@router.get("/hosts/{host}")
def host_detail(
    host: str,
    request: Request,
    caller: Annotated[Caller, page(Role.READER, "web.host")],
    svc: Svc,
) -> HTMLResponse:
    return host_page(request, caller, svc.read_ctx(), host)


@router.get("/jobs")
def jobs_page(
    request: Request,
    caller: Annotated[Caller, page(Role.READER, "web.jobs")],
    svc: Svc,
    host: Filter = "",
    status: Filter = "",
    kind: Filter = "",
) -> HTMLResponse:
    wanted_status = JobStatus(status) if status in {s.value for s in JobStatus} else None
    jobs = svc.ctx.store.list_jobs(host=host or None, status=wanted_status, limit=200)
    if kind in {k.value for k in JobKind}:
        jobs = [j for j in jobs if j.kind.value == kind]
    return render(
        request,
        "jobs.html",
        caller,
        jobs=jobs,
        filters={"host": host, "status": status, "kind": kind},
        statuses=[s.value for s in JobStatus],
        kinds=[k.value for k in JobKind],
    )


@router.get("/jobs/{job_id}")
def job_page(
    job_id: str,
    request: Request,
    caller: Annotated[Caller, page(Role.READER, "web.job")],
    svc: Svc,
) -> HTMLResponse:
    """A running job is followed live by the page's script; an ended one shows its results
    straight away, without opening the stream."""
    ctx = svc.read_ctx()
    detail = live_view(ctx, ctx.store.get_job(JobId(job_id)))
    job = ctx.store.get_job(JobId(job_id))
    return render(
        request,
        "job.html",
        caller,
        job=job,
        detail=detail,
        ended=not job.status.is_active,
        summary=detail["summary"],
    )


@router.get("/audit")
def audit_page(
    request: Request,
    caller: Annotated[Caller, page(Role.READER, "web.audit")],
    svc: Svc,
    actor: Filter = "",
    action: Filter = "",
    host: Filter = "",
    outcome: Filter = "",
) -> HTMLResponse:
    query = AuditQuery(
        actor=actor or None,
        action=action or None,
        host=host or None,
        outcome=outcome if outcome in ("allowed", "denied", "failed") else None,
        limit=300,
    )
    return render(
        request,
        "audit.html",
        caller,
        entries=svc.auth.audit(query),
        filters={
            "actor": actor,
            "action": action,
            "host": host,
            "outcome": outcome,
        },
    )
