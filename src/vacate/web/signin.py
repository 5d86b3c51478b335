"""Sign in by pasting a token (checked like a bearer token, then forgotten: the browser keeps
only the session cookie), and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vacate.api.audit import AuditNote, note
from vacate.api.policy import ANONYMOUS, Caller, client_address, public
from vacate.api.services import services
from vacate.api.tokens import secret_matches, split_token
from vacate.domain.actors import Role
from vacate.ports.auth import StoredToken
from vacate.web.access import checked_form, page
from vacate.web.render import page as render
from vacate.web.session import COOKIE, SIGNIN_COOKIE, new_signin_nonce

router = APIRouter(include_in_schema=False)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _form(request: Request, *, message: str = "", status: int = 200) -> HTMLResponse:
    nonce = new_signin_nonce()
    answer = render(
        request, "signin.html", None, status=status, message=message, signin_nonce=nonce
    )
    answer.set_cookie(
        SIGNIN_COOKIE,
        nonce,
        max_age=3600,
        path="/signin",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return answer


@router.get("/signin")
def signin_page(
    request: Request, caller: Annotated[Caller, public("web.signin-page")]
) -> HTMLResponse:
    return _form(request)


def _token(request: Request, given: str) -> StoredToken | None:
    parts = split_token(given)
    if parts is None:
        return None
    svc = services(request)
    stored = svc.auth.token_by_key(parts[0])
    if not secret_matches(parts[1], stored) or stored is None or not stored.usable(svc.wall()):
        return None
    return stored


@router.post("/signin")
async def signin(request: Request, caller: Annotated[Caller, public("web.signin")]) -> Response:
    audit = note(
        request,
        AuditNote(action="web.signin", actor=ANONYMOUS, address=client_address(request)),
    )
    form = await checked_form(request)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or form.get("signin_nonce") != expected:
        audit.acts, audit.detail = True, "sign-in form without its cookie"
        return _form(
            request,
            status=403,
            message="The sign-in form had expired. Paste the token again.",
        )
    token = await run_in_threadpool(_token, request, form.get("token", ""))
    audit.acts = True
    if token is None:
        audit.detail = "invalid token"
        return _form(
            request,
            status=401,
            message="That token is not valid: it is unknown, expired or revoked. "
            "An administrator makes one with `vacate token create`.",
        )
    audit.actor, audit.role = token.name, token.role
    svc = services(request)
    value, lifetime = request.app.state.sessions.issue(token, now=svc.wall())
    answer = RedirectResponse("/", status_code=303)
    answer.set_cookie(
        COOKIE,
        value,
        max_age=lifetime,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    answer.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return answer


@router.post("/signout")
async def signout(
    request: Request, caller: Annotated[Caller, page(Role.READER, "web.signout")]
) -> Response:
    await checked_form(request)
    answer = RedirectResponse("/signin", status_code=303)
    answer.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return answer
