"""The host page's Report down and Recover actions (the host-down workflow, README "Host
down"), through the engine's ``hostdown`` commands with the signed-in person as the actor.

Report down is offered for a host not yet ``down``; a job waiting at its fencing gate is let
go on from its own page, which posts the same form with ``fenced`` ticked. Recover is offered
for a ``down`` host. A refusal (a service still up and no fence asserted, an instance that
would run twice) shows the host page again with the engine's message and the form as posted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from vacate.api.policy import Caller
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.maintenance import MaintenanceState
from vacate.engine import hostdown
from vacate.engine.views import HostView
from vacate.web import host_actions
from vacate.web.access import Form, checked_form, page, web_actor
from vacate.web.actions import act
from vacate.web.forms import default_values

router = APIRouter(include_in_schema=False)
Svc = Annotated[Services, Depends(services)]


def _is_down(view: HostView) -> bool:
    return view.maintenance.state is MaintenanceState.DOWN


def _not_down(view: HostView) -> bool:
    return not _is_down(view)


host_actions.register(
    host_actions.HostAction(name="report-down", template="_report_down.html", shown=_not_down)
)
host_actions.register(
    host_actions.HostAction(name="recover", template="_recover.html", shown=_is_down)
)


def _flag(form: Form, name: str) -> bool:
    return form.get(name, "") == "on"


def _reason(form: Form) -> str:
    reason = form.get("down_reason", "").strip()
    if any(not c.isprintable() for c in reason) or len(reason) > 500:
        raise ValueError("reason: printable text, at most 500 characters")
    return reason


def _values(form: Form) -> dict[str, Any]:
    """The host page's form values with Report down's as posted (an unticked box is absent)."""
    return {
        **default_values(),
        "down_reason": form.get("down_reason", ""),
        "down_fenced": form.get("fenced", ""),
        "down_evacuate": form.get("evacuate", ""),
    }


@router.post("/hosts/{host}/down")
async def report_down(
    host: str,
    request: Request,
    caller: Annotated[Caller, page(Role.ADMIN, "web.host.down")],
    svc: Svc,
) -> Response:
    """Report a failed host: the host-down job's page, or the same job's once it waits at the
    fencing gate and the form asserts the fence."""
    form = await checked_form(request)
    return await run_in_threadpool(
        act,
        request,
        caller,
        svc,
        host,
        form,
        lambda: hostdown.report_down(
            svc.ctx,
            host,
            actor=web_actor(caller),
            fenced=_flag(form, "fenced"),
            evacuate=_flag(form, "evacuate"),
            reason=_reason(form),
        ),
        values=_values,
    )


@router.post("/hosts/{host}/recover")
async def recover(
    host: str,
    request: Request,
    caller: Annotated[Caller, page(Role.ADMIN, "web.host.recover")],
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
        lambda: hostdown.recover(svc.ctx, host, actor=web_actor(caller)),
        values=_values,
    )
