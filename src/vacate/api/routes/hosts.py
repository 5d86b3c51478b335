"""Hosts: list and show, the preflight plan, maintenance in and out, migrate instances."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from vacate.api.answers import accepted, ok
from vacate.api.idempotency import fingerprint, start_once
from vacate.api.policy import Caller, policy
from vacate.api.routes.params import (
    ACTION_ERRORS,
    BODY_ERRORS,
    HOST_READ_ERRORS,
    READ_ERRORS,
    HostPath,
    IdempotencyKey,
)
from vacate.api.schemas import (
    HostDetail,
    HostOut,
    JobOut,
    MaintenanceRequest,
    MoveOptions,
    PlanOut,
    ServiceRequest,
)
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.maintenance import MaintenanceState
from vacate.domain.model import ServiceStatus
from vacate.engine import commands
from vacate.engine.views import group_names, host_views
from vacate.serialize import host_to_dict, instance_to_dict, plan_to_dict

router = APIRouter(prefix="/v1", tags=["hosts"])
Svc = Annotated[Services, Depends(services)]


@router.get("/hosts", response_model=list[HostOut], responses=READ_ERRORS)
def list_hosts(
    caller: Annotated[Caller, policy(Role.READER, "hosts.list")],
    svc: Svc,
    state: Annotated[Literal["up", "down"] | None, Query()] = None,
    az: Annotated[str | None, Query(max_length=255)] = None,
    maintenance_state: Annotated[MaintenanceState | None, Query()] = None,
    service_status: Annotated[ServiceStatus | None, Query()] = None,
) -> JSONResponse:
    """Every host with its service, maintenance state and usage; filters combine."""
    rows = [host_to_dict(v) for v in host_views(svc.read_ctx())]
    wanted = {
        "state": state,
        "az": az,
        "maintenance_state": maintenance_state,
        "service_status": service_status,
    }
    for field, value in wanted.items():
        if value is not None:
            rows = [r for r in rows if r[field] == value]
    return ok(rows)


@router.get("/hosts/{host}", response_model=HostDetail, responses=HOST_READ_ERRORS)
def show_host(
    host: HostPath, caller: Annotated[Caller, policy(Role.READER, "hosts.show")], svc: Svc
) -> JSONResponse:
    """One host (exact name), its instances and its five latest jobs."""
    ctx = svc.read_ctx()
    view = host_views(ctx, only=host)[0]
    data = host_to_dict(view)
    groups = group_names(ctx)
    data["instances"] = [instance_to_dict(i, groups=groups) for i in ctx.cloud.list_instances(host)]
    data["jobs"] = [
        {"id": j.id, "kind": j.kind.value, "status": j.status.value}
        for j in ctx.store.list_jobs(host=view.host.name, limit=5)
    ]
    return ok(data)


@router.post(
    "/hosts/{host}/plan", response_model=PlanOut, responses={**HOST_READ_ERRORS, **BODY_ERRORS}
)
def plan(
    host: HostPath,
    caller: Annotated[Caller, policy(Role.READER, "hosts.plan")],
    svc: Svc,
    options: MoveOptions | None = None,
) -> JSONResponse:
    """The preflight alone: each instance's verdict and destination; nothing is changed."""
    opts = (options or MoveOptions()).job_options()
    return ok(plan_to_dict(commands.preflight(svc.read_ctx(), host, opts)))


@router.post(
    "/hosts/{host}/maintenance",
    status_code=202,
    response_model=JobOut,
    responses={**ACTION_ERRORS, **BODY_ERRORS},
)
def enter_maintenance(
    host: HostPath,
    body: MaintenanceRequest,
    request: Request,
    caller: Annotated[Caller, policy(Role.ADMIN, "maintenance.enter")],
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Disable the host, move every instance off, mark it ``maintenance`` once empty. The job
    runs in the background: follow ``Location`` or its event stream."""
    opts = body.job_options(reason=body.reason, rollback_on_error=body.rollback_on_error)
    started = start_once(
        svc,
        caller,
        idempotency_key,
        fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        lambda: commands.enter_maintenance(svc.ctx, host, opts, actor=caller.actor()),
    )
    return accepted(request, started)


@router.delete(
    "/hosts/{host}/maintenance", status_code=202, response_model=JobOut, responses=ACTION_ERRORS
)
def exit_maintenance(
    host: HostPath,
    request: Request,
    caller: Annotated[Caller, policy(Role.ADMIN, "maintenance.exit")],
    svc: Svc,
    restore: Annotated[bool, Query(description="Move instances back where they came from")] = (
        False
    ),
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Put the host back in service (and, with ``restore``, its instances back on it)."""
    started = start_once(
        svc,
        caller,
        idempotency_key,
        fingerprint("DELETE", request.url.path, {"restore": restore}),
        lambda: commands.exit_maintenance(svc.ctx, host, restore=restore, actor=caller.actor()),
    )
    return accepted(request, started)


@router.post(
    "/hosts/{host}/migrate-instances",
    status_code=202,
    response_model=JobOut,
    responses={**ACTION_ERRORS, **BODY_ERRORS},
)
def migrate_instances(
    host: HostPath,
    request: Request,
    caller: Annotated[Caller, policy(Role.ADMIN, "host.migrate-instances")],
    svc: Svc,
    options: MoveOptions | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Move every instance off the host without changing its maintenance state."""
    body = options or MoveOptions()
    opts = body.job_options()
    started = start_once(
        svc,
        caller,
        idempotency_key,
        fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        lambda: commands.migrate_instances(svc.ctx, host, opts, actor=caller.actor()),
    )
    return accepted(request, started)


@router.put(
    "/hosts/{host}/service",
    status_code=202,
    response_model=JobOut,
    responses={**ACTION_ERRORS, **BODY_ERRORS},
)
def set_service(
    host: HostPath,
    body: ServiceRequest,
    request: Request,
    caller: Annotated[Caller, policy(Role.ADMIN, "host.service")],
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Enable or disable the compute service (``vacate host-update --status``), as a job. A host
    in maintenance refuses an enable (409): only leaving maintenance enables it."""
    started = start_once(
        svc,
        caller,
        idempotency_key,
        fingerprint("PUT", request.url.path, body.model_dump(mode="json")),
        lambda: commands.set_service(
            svc.ctx,
            host,
            enabled=body.status == "enabled",
            reason=body.reason,
            actor=caller.actor(),
        ),
    )
    return accepted(request, started)
