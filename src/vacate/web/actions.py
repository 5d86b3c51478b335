"""The dashboard's forms that act, through the engine's commands like the API's routes, with
the signed-in person as the actor. Each answers with the job's page (303), or the host page
again with the engine's message when the command is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vacate.api import audit
from vacate.api.policy import Caller
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.errors import NotFound, VacateError
from vacate.domain.jobs import Job
from vacate.engine import commands
from vacate.web.access import Form, checked_form, page, web_actor
from vacate.web.forms import form_values, migrate_modal_options, move_options
from vacate.web.pages import host_page
from vacate.web.plan_view import preview

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


def _started(request: Request, job: Job) -> RedirectResponse:
    audit.set_job(request, job.id, job.host)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def act(
    request: Request,
    caller: Caller,
    svc: Services,
    host: str,
    form: Form,
    start: Callable[[], Job],
    values: Callable[[Form], dict[str, Any]] = form_values,
) -> Response:
    """Run the command and go to its job's page; a refusal (409, 422) shows the host page with
    the reason and the form as posted (``values``). An unknown host is the API's 404."""
    try:
        return _started(request, start())
    except NotFound:
        raise
    except (VacateError, ValueError) as exc:
        current = audit.current(request)
        if current is not None:
            current.detail = str(exc)
        return host_page(
            request,
            caller,
            svc.read_ctx(),
            host,
            values=values(form),
            message=str(exc),
            status=422 if isinstance(exc, ValueError) else 409,
        )


@router.post("/hosts/{host}/preview")
async def preview_plan(
    host: str,
    request: Request,
    caller: Annotated[Caller, page(Role.READER, "web.preview")],
    svc: Svc,
) -> HTMLResponse:
    """The Enter-maintenance form's Preview: the preflight plan for these options, nothing
    changed; the page then offers Confirm with the same options."""
    form = await checked_form(request)
    return await run_in_threadpool(_preview, request, caller, svc, host, form)


def _preview(
    request: Request, caller: Caller, svc: Services, host: str, form: dict[str, str]
) -> HTMLResponse:
    ctx = svc.read_ctx()
    try:
        options = move_options(form, maintenance=True)
        plan = commands.preflight(ctx, host, options)
    except NotFound:
        raise
    except (VacateError, ValueError) as exc:
        return host_page(
            request, caller, ctx, host, values=form_values(form), message=str(exc), status=422
        )
    shown = preview(ctx, plan, options.max_parallel)
    return host_page(request, caller, ctx, host, preview=shown, values=form_values(form))


@router.post("/hosts/{host}/maintenance")
async def enter_maintenance(
    host: str,
    request: Request,
    caller: Annotated[Caller, page(Role.ADMIN, "web.maintenance.enter")],
    svc: Svc,
) -> Response:
    form = await checked_form(request)
    return await run_in_threadpool(
        act,
        request,
        caller,
        svc,
        host,
        form,
        lambda: commands.enter_maintenance(
            svc.ctx, host, move_options(form, maintenance=True), actor=web_actor(caller)
        ),
    )


@router.post("/hosts/{host}/exit")
async def exit_maintenance(
    host: str,
    request: Request,
    caller: Annotated[Caller, page(Role.ADMIN, "web.maintenance.exit")],
    svc: Svc,
) -> Response:
    form = await checked_form(request)
    restore = form.get("restore", "") == "on"
    return await run_in_threadpool(
        act,
        request,
        caller,
        svc,
        host,
        form,
        lambda: commands.exit_maintenance(svc.ctx, host, restore=restore, actor=web_actor(caller)),
    )


@router.post("/hosts/{host}/migrate")
async def migrate_instances(
    host: str,
    request: Request,
    caller: Annotated[Caller, page(Role.ADMIN, "web.host.migrate-instances")],
    svc: Svc,
) -> Response:
    form = await checked_form(request)
    return await run_in_threadpool(
        act,
        request,
        caller,
        svc,
        host,
        form,
        lambda: commands.migrate_instances(
            svc.ctx, host, migrate_modal_options(form), actor=web_actor(caller)
        ),
    )


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(
    job_id: str,
    request: Request,
    caller: Annotated[Caller, page(Role.ADMIN, "web.job.cancel")],
    svc: Svc,
) -> Response:
    await checked_form(request)
    job = await run_in_threadpool(commands.cancel, svc.ctx, job_id, actor=web_actor(caller))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
