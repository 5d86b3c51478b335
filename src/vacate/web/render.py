"""Pages from the Jinja2 templates, with what every page needs: who is signed in, whether they
may act, and the session's CSRF token for the forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from vacate.api.policy import Caller
from vacate.domain.actors import Role
from vacate.web.access import current_session, sessions

_env = Environment(
    loader=PackageLoader("vacate.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _mib(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1024**3:
        return f"{value / 1024**3:.1f} GiB"
    return f"{value / 1024**2:.0f} MiB"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


def _iso(epoch: float | None) -> str:
    """UTC in the markup; the page's script shows it in the browser's time zone."""
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds")


_env.filters.update(bytes=_mib, seconds=_seconds, iso=_iso)

#: Headers of every page: no framing, no third-party anything, no caching of what it shows.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; script-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page(
    request: Request,
    template: str,
    caller: Caller | None,
    *,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    session = current_session(request)
    csrf = sessions(request).csrf(session) if session is not None else ""
    context.setdefault("message", "")
    html = _env.get_template(template).render(
        request_path=request.url.path,
        caller=caller,
        is_admin=caller is not None and caller.role is Role.ADMIN,
        csrf_token=csrf,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
