"""An Alertmanager webhook receiver: a firing alert whose labels name a host reports that host
down (not fenced: a host whose service still reports up is refused, and a report waits at the
fencing gate unless its BMC powers it off). A resolved alert changes nothing by itself — a
repaired host comes back with ``recover``. The answer says what was done with each alert.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from vacate.api import audit
from vacate.api.policy import Caller, policy
from vacate.api.routes.params import ACTION_ERRORS, BODY_ERRORS
from vacate.api.services import Services, services
from vacate.domain.actors import Role
from vacate.domain.errors import Conflict, NotFound
from vacate.engine import hostdown

router = APIRouter(prefix="/v1", tags=["alerts"])
Svc = Annotated[Services, Depends(services)]
_PORT = re.compile(r"^(?P<host>\[[^\]]+\]|[^:]+):\d+$")


class Alert(BaseModel):
    """One alert of the webhook payload (fields Vacate does not read are accepted)."""

    model_config = ConfigDict(extra="allow")
    status: str = Field(max_length=32)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str | None = None
    endsAt: str | None = None
    fingerprint: str = ""


class AlertmanagerPayload(BaseModel):
    """Alertmanager's webhook format, version 4."""

    model_config = ConfigDict(extra="allow")
    version: str = "4"
    groupKey: str = ""
    status: str = Field(default="firing", max_length=32)
    receiver: str = ""
    alerts: list[Alert] = Field(max_length=1000)


def host_of(labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The first label of ``keys`` that is set; an ``instance`` loses its ``:port``."""
    for key in keys:
        value = labels.get(key, "").strip()
        if value:
            match = _PORT.match(value)
            return match.group("host").strip("[]") if match else value
    return None


def _one(svc: Services, caller: Caller, alert: Alert) -> dict[str, Any]:
    said: dict[str, Any] = {"fingerprint": alert.fingerprint, "status": alert.status}
    host = host_of(alert.labels, svc.alert_host_labels)
    said["host"] = host
    if alert.status != "firing":
        return {**said, "action": "none", "detail": "resolved: changes nothing by itself"}
    if host is None:
        labels = ", ".join(svc.alert_host_labels)
        return {**said, "action": "none", "detail": f"no host label (looked for {labels})"}
    name = alert.labels.get("alertname", "alert")
    summary = alert.annotations.get("summary", "")
    reason = f"alertmanager: {name}" + (f" ({summary})" if summary else "")
    try:
        job = hostdown.report_down(svc.ctx, host, reason=reason[:500], actor=caller.actor())
    except NotFound as exc:
        return {**said, "action": "refused", "detail": str(exc)}
    except Conflict as exc:
        active = svc.ctx.store.active_job(host)
        if active is not None and active.kind.value == "host_down":
            return {**said, "action": "already-reported", "job": active.id, "detail": str(exc)}
        return {**said, "action": "refused", "detail": str(exc)}
    return {**said, "action": "reported-down", "job": job.id, "detail": job.message}


@router.post("/alerts/alertmanager", status_code=202, responses={**ACTION_ERRORS, **BODY_ERRORS})
def alertmanager(
    payload: AlertmanagerPayload,
    request: Request,
    caller: Annotated[Caller, policy(Role.ADMIN, "alerts.alertmanager")],
    svc: Svc,
) -> JSONResponse:
    """Alertmanager's webhook: each firing alert naming a host reports it down; the answer
    lists what was done per alert (``reported-down`` with the job, ``already-reported``,
    ``refused`` with why, or ``none``)."""
    results = [_one(svc, caller, alert) for alert in payload.alerts]
    acted = [r for r in results if r.get("job")]
    if acted:
        audit.set_job(request, acted[0]["job"], acted[0]["host"])
    return JSONResponse(
        {"groupKey": payload.groupKey, "status": payload.status, "alerts": results},
        status_code=202,
    )
