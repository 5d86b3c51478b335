"""The web dashboard served by ``vacate serve`` at ``/``: server-rendered pages (Jinja2), a
little script of our own (the event stream, the hosts table, the timeline), the engine's
commands behind its forms, and a session cookie made from a pasted token."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

from vacate.web import actions, assets, errors, pages, report_down, results, signin
from vacate.web.access import SignInFirst, session_caller
from vacate.web.session import Sessions


def install(app: FastAPI) -> None:
    """Mount the dashboard on the API's application (``vacate.api.app``)."""
    app.state.sessions = Sessions()
    app.state.session_caller = session_caller
    routers = (signin.router, pages.router, actions.router, report_down.router)
    for router in (*routers, results.router, assets.router):
        app.include_router(router)

    @app.exception_handler(SignInFirst)
    async def _sign_in(request: Request, exc: SignInFirst) -> RedirectResponse:
        return RedirectResponse("/signin", status_code=303)


def install_errors(app: FastAPI) -> None:
    """After the API's error handlers: errors on a page render as a page."""
    errors.install(app)
