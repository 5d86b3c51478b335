"""The audit log of the API: every action (a route only an admin may call) and every refused
request, with who, what, which host or job, when, from where and how it ended.

A route's policy opens the note (``note``), the route adds what it learns (the job it queued),
and the middleware writes it once the status is known. Only names go in, never a token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from vacate.domain.actors import Role
from vacate.ports.auth import AuthStore, NewAuditEntry

log = logging.getLogger("vacate.api.audit")


@dataclass(kw_only=True)
class AuditNote:
    action: str
    actor: str
    address: str
    #: An action (an admin route): recorded whatever the outcome; a read only when refused.
    acts: bool = False
    role: Role | None = None
    host: str | None = None
    job_id: str | None = None
    detail: str = ""


def note(request: Request, audit: AuditNote) -> AuditNote:
    """Start the request's audit note; the host and job named in the path are its targets."""
    params = request.path_params
    audit.host = params.get("host") or params.get("host_name")
    audit.job_id = params.get("job_id")
    request.state.audit = audit
    return audit


def current(request: Request) -> AuditNote | None:
    found: AuditNote | None = getattr(request.state, "audit", None)
    return found


def set_job(request: Request, job_id: str, host: str | None = None) -> None:
    audit = current(request)
    if audit is not None:
        audit.job_id = job_id
        audit.host = host or audit.host
    request.state.job_id = job_id


def outcome(status: int) -> str:
    if status in (401, 403):
        return "denied"
    return "allowed" if status < 400 else "failed"


def should_record(audit: AuditNote, status: int) -> bool:
    return audit.acts or status in (401, 403)


def _clean(text: str | None) -> str | None:
    """No control characters in the log (a host name from a path can hold anything)."""
    if text is None:
        return None
    return "".join(c if c.isprintable() else "?" for c in text)


def write(auth: AuthStore, state: dict[str, Any], *, status: int, at: float) -> None:
    audit: AuditNote | None = state.get("audit")
    if audit is None or not should_record(audit, status):
        return
    entry = NewAuditEntry(
        at=at,
        actor=audit.actor,
        role=audit.role.value if audit.role else "",
        origin=f"api {audit.address}",
        action=audit.action,
        outcome=outcome(status),
        status=status,
        host=_clean(audit.host),
        job_id=_clean(audit.job_id),
        detail=_clean(audit.detail) or "",
    )
    try:
        auth.record(entry)
    except Exception:  # the answer is already sent; the log line keeps the record
        log.exception("could not write the audit entry for %s by %s", entry.action, entry.actor)
