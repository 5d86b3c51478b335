"""The ``os-hosts`` compatibility call of Nova's ``host-update``: tools written for
``PUT /v2.1/{tenant_id}/os-hosts/{host_name}`` drive Vacate unchanged.

``status`` enables or disables the compute service (a short job, run to its end before the
answer); ``maintenance_mode`` enters or leaves maintenance in the background (the answer says
``entering``; the job is the worker's). ``host_down_reported`` reports the host failed
(``vacate.engine.hostdown``, not fenced: refused with 409 while its service reports up); the
document's example sends it with ``status`` and ``maintenance_mode``, which the report
supersedes (a failed host is taken out of service whatever they say).
The document writes every value as a string, so ``"true"`` is accepted wherever ``true`` is.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from vacate.api import audit
from vacate.api.errors import ApiError, error_responses
from vacate.api.policy import Caller, policy
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.jobs import JobOptions, JobStatus
from vacate.engine import commands, hostdown
from vacate.engine.follow import run_or_follow
from vacate.engine.views import host_views, os_host

router = APIRouter(tags=["os-hosts compatibility"])
Svc = Annotated[Services, Depends(services)]
HostName = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/]+$")]
Tenant = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/]+$")]

Switch = Literal["enable", "disable", "enabled", "disabled", "true", "false"] | bool
_ON = ("enable", "enabled", "true", True)

REASON = "os-hosts host-update"


class OsHostChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Switch | None = None
    maintenance_mode: Switch | None = None
    host_down_reported: Literal["true", "false"] | bool | None = None


class OsHostUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: OsHostChange


class OsHost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str
    status: Literal["enabled", "disabled"]
    maintenance_mode: Literal[
        "off_maintenance", "entering", "on_maintenance", "exiting", "error", "down"
    ]


class OsHostAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: OsHost


class OsHostList(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hosts: list[OsHost]


def _on(value: str | bool) -> bool:
    return value in _ON


_LIST_ERRORS = error_responses(401, 422)
_SHOW_ERRORS = error_responses(401, 404, 422)
_UPDATE_ERRORS = error_responses(400, 401, 403, 404, 409, 422)
ReadCaller = Annotated[Caller, policy(Role.READER, "os-hosts.read")]
AdminCaller = Annotated[Caller, policy(Role.ADMIN, "os-hosts.update")]


@router.get("/v2.1/os-hosts", response_model=OsHostList, responses=_LIST_ERRORS)
def list_os_hosts(caller: ReadCaller, svc: Svc) -> JSONResponse:
    """Every host as ``{"host", "status", "maintenance_mode"}``."""
    return JSONResponse({"hosts": [os_host(v) for v in host_views(svc.read_ctx())]})


@router.get("/v2.1/{tenant_id}/os-hosts", response_model=OsHostList, responses=_LIST_ERRORS)
def list_tenant_os_hosts(tenant_id: Tenant, caller: ReadCaller, svc: Svc) -> JSONResponse:
    """The same, under a tenant (the tenant is not looked at)."""
    return list_os_hosts(caller, svc)


@router.get("/v2.1/os-hosts/{host_name}", response_model=OsHostAnswer, responses=_SHOW_ERRORS)
def show_os_host(host_name: HostName, caller: ReadCaller, svc: Svc) -> JSONResponse:
    return JSONResponse({"host": os_host(host_views(svc.read_ctx(), only=host_name)[0])})


@router.get(
    "/v2.1/{tenant_id}/os-hosts/{host_name}",
    response_model=OsHostAnswer,
    responses=_SHOW_ERRORS,
)
def show_tenant_os_host(
    tenant_id: Tenant, host_name: HostName, caller: ReadCaller, svc: Svc
) -> JSONResponse:
    return show_os_host(host_name, caller, svc)


@router.put("/v2.1/os-hosts/{host_name}", response_model=OsHostAnswer, responses=_UPDATE_ERRORS)
def update_os_host(
    host_name: HostName, body: OsHostUpdate, request: Request, caller: AdminCaller, svc: Svc
) -> JSONResponse:
    """``nova host-update``: ``status`` now, ``maintenance_mode`` in the background."""
    return JSONResponse({"host": _update(svc, request, caller, host_name, body.host)})


@router.put(
    "/v2.1/{tenant_id}/os-hosts/{host_name}",
    response_model=OsHostAnswer,
    responses=_UPDATE_ERRORS,
)
def update_tenant_os_host(
    tenant_id: Tenant,
    host_name: HostName,
    body: OsHostUpdate,
    request: Request,
    caller: AdminCaller,
    svc: Svc,
) -> JSONResponse:
    """The same, under a tenant (the tenant is not looked at)."""
    return update_os_host(host_name, body, request, caller, svc)


def _update(
    svc: Services, request: Request, caller: Caller, host_name: str, change: OsHostChange
) -> dict[str, str]:
    if change.host_down_reported is not None and _on(change.host_down_reported):
        job = hostdown.report_down(svc.ctx, host_name, reason=REASON, actor=caller.actor())
        audit.set_job(request, job.id, job.host)
        return os_host(host_views(svc.ctx, only=job.host)[0])
    if change.status is None and change.maintenance_mode is None:
        raise ApiError(422, "host: give status and/or maintenance_mode")
    both = change.status is not None and change.maintenance_mode is not None
    if both and _on(change.status) and _on(change.maintenance_mode):  # type: ignore[arg-type]
        raise ApiError(
            422, "host.status: enable contradicts maintenance_mode enable (it disables the host)"
        )
    ctx = svc.ctx
    name = commands.exact_host(ctx, host_name)
    actor = caller.actor()
    if change.status is not None:
        job = commands.set_service(
            ctx, name, enabled=_on(change.status), reason=REASON, actor=actor
        )
        audit.set_job(request, job.id, name)
        finished = run_or_follow(ctx, job.id)
        if finished.status is not JobStatus.SUCCEEDED:
            raise ApiError(
                409, f"host {name}: service update {finished.status.value}: {finished.message}"
            )
    if change.maintenance_mode is not None:
        if _on(change.maintenance_mode):
            job = commands.enter_maintenance(ctx, name, JobOptions(reason=REASON), actor=actor)
        else:
            job = commands.exit_maintenance(ctx, name, actor=actor)
        audit.set_job(request, job.id, name)
    return os_host(host_views(ctx, only=name)[0])
