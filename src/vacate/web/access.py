"""Who is looking at a dashboard page, and whether a form may act.

A page or form route declares ``page(Role.…, "…")``: the API's policy (its audit note, its
401 and 403), authenticated by a token in a header as on every route, or else by the session
cookie. A browser without a session is sent to the sign-in page; a form posted with the
session must carry the session's CSRF token (``checked_form``), and a reader is refused an
action by the policy before the form is even read — hiding a button is not the protection.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import Depends, Request

from vacate.api.errors import ApiError
from vacate.api.policy import Caller, Policy
from vacate.api.services import services
from vacate.domain.actors import Actor, Role
from vacate.web.session import COOKIE, Session, Sessions

#: Largest form body read (a maintenance form is a few hundred bytes).
MAX_FORM_BYTES = 64 * 1024


class SignInFirst(Exception):
    """A browser asked for a page without a session: answer with the sign-in page."""


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.sessions
    return found


def current_session(request: Request) -> Session | None:
    """The request's session (looked up once per request)."""
    if hasattr(request.state, "web_session"):
        cached: Session | None = request.state.web_session
        return cached
    cookie = request.cookies.get(COOKIE)
    found = None
    if cookie:
        svc = services(request)
        found = sessions(request).read(cookie, svc.auth.token_by_key, now=svc.wall())
    request.state.web_session = found
    return found


def session_caller(request: Request, address: str) -> Caller | None:
    """Registered as ``app.state.session_caller``: the session cookie's caller, if any."""
    session = current_session(request)
    if session is None:
        return None
    return Caller(name=session.token.name, role=session.token.role, address=address)


def web_actor(caller: Caller) -> Actor:
    """Who a dashboard action is recorded as."""
    return Actor(name=caller.name, role=caller.role or Role.READER, origin=f"web {caller.address}")


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


class PagePolicy(Policy):
    """The API's policy, with the session cookie accepted for every method (forms check their
    CSRF token) and browsers without one sent to sign in."""

    def without_token(self, request: Request, address: str) -> Caller:
        found = session_caller(request, address)
        if found is not None:
            request.state.by_session = True
            return found
        if request.method == "GET" and wants_html(request):
            raise SignInFirst()
        raise ApiError(401, "sign in first: no dashboard session (or it has ended)")


def page(role: Role, action: str) -> Any:
    """``caller: Annotated[Caller, page(Role.READER, "web.hosts")]``."""
    return Depends(PagePolicy(role, action))


Form = dict[str, str]


async def checked_form(request: Request) -> Form:
    """The posted form's fields (the last value of each); refused unless it carries the
    session's CSRF token when the session is what authenticated it."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ApiError(413, f"form too large: at most {MAX_FORM_BYTES} bytes")
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    fields = {k: v[-1] for k, v in parsed.items()}
    if getattr(request.state, "by_session", False):
        session = current_session(request)
        given = fields.get("csrf_token", "")
        if session is None or not given or not sessions(request).csrf_matches(session, given):
            raise ApiError(
                403, "the form's CSRF token does not match your session: reload the page"
            )
    return fields
