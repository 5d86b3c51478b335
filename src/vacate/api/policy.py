"""Who may call a route, declared on the route itself: ``policy(Role.ADMIN, "…")``,
``policy(Role.READER, "…")`` or ``public()``. A route without one is a bug, and a test walks
``app.routes`` to find it.

Tokens come as ``Authorization: Bearer …`` or ``X-Auth-Token: …`` (what Nova clients send).
They are looked up by their public key id and their secret compared by hash in constant time;
a token is never logged, echoed or stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from vacate.api.audit import AuditNote, note
from vacate.api.errors import ApiError
from vacate.api.services import services
from vacate.api.tokens import secret_matches, split_token
from vacate.domain.actors import Actor, Role

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer vct_…`")
_x_auth = APIKeyHeader(name="X-Auth-Token", auto_error=False, description="Nova-style header")

ANONYMOUS = "anonymous"


@dataclass(frozen=True, kw_only=True)
class Caller:
    """The token's name and role, and where the request came from."""

    name: str
    role: Role | None
    address: str

    def actor(self) -> Actor:
        return Actor(name=self.name, role=self.role or Role.READER, origin=f"api {self.address}")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Policy:
    """A route's access rule and the audit log's name for it."""

    def __init__(self, role: Role | None, action: str) -> None:
        self.role = role
        self.action = action

    def __repr__(self) -> str:
        return f"Policy({self.role.value if self.role else 'public'}, {self.action!r})"

    def __call__(
        self,
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        x_auth_token: Annotated[str | None, Depends(_x_auth)],
    ) -> Caller:
        address = client_address(request)
        audit = note(
            request,
            AuditNote(
                action=self.action,
                actor=ANONYMOUS,
                address=address,
                acts=self.role is Role.ADMIN,
            ),
        )
        given = bearer.credentials if bearer is not None else x_auth_token
        if given:
            caller = self._authenticate(request, given, address, audit)
            if caller is None:
                raise _unauthorized("invalid, expired or revoked token")
        else:
            caller = self.without_token(request, address)
        audit.actor, audit.role = caller.name, caller.role
        if self.role is Role.ADMIN and caller.role is not Role.ADMIN:
            raise ApiError(403, f"{self.action} needs an admin token; {caller.name} is a reader")
        return caller

    def without_token(self, request: Request, address: str) -> Caller:
        """No token in the headers: a dashboard session (``vacate.web``) may read — never act:
        an action needs a token in a header, or a dashboard form with its CSRF token."""
        found = session_caller(request, address) if request.method in ("GET", "HEAD") else None
        if found is None:
            raise _unauthorized("a token is required: Authorization: Bearer <token>")
        return found

    @staticmethod
    def _authenticate(
        request: Request, given: str, address: str, audit: AuditNote
    ) -> Caller | None:
        """The caller, or None; the audit note says why not (a known token by its name — an
        expired or revoked one still in use is worth knowing about)."""
        audit.detail = "invalid token"
        parts = split_token(given)
        if parts is None:
            return None
        key_id, secret = parts
        svc = services(request)
        stored = svc.auth.token_by_key(key_id)
        if not secret_matches(secret, stored) or stored is None:
            return None
        if not stored.usable(svc.wall()):
            audit.actor, audit.role = stored.name, stored.role
            audit.detail = "revoked token" if stored.revoked_at is not None else "expired token"
            return None
        audit.detail = ""
        return Caller(name=stored.name, role=stored.role, address=address)


class Public(Policy):
    """Anyone, no token looked at: health, readiness, the OpenAPI document and the docs."""

    def __init__(self, action: str) -> None:
        super().__init__(None, action)

    def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        return Caller(name=ANONYMOUS, role=None, address=client_address(request))


#: ``(request, address) -> Caller | None``: who a session cookie belongs to (the dashboard
#: registers it on ``app.state.session_caller``).
SessionCaller = Callable[[Request, str], "Caller | None"]


def session_caller(request: Request, address: str) -> Caller | None:
    hook: SessionCaller | None = getattr(request.app.state, "session_caller", None)
    return None if hook is None else hook(request, address)


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})


def policy(role: Role, action: str) -> Any:
    """``caller: Annotated[Caller, policy(Role.ADMIN, "maintenance.enter")]``."""
    return Depends(Policy(role, action))


def public(action: str) -> Any:
    return Depends(Public(action))


def route_policies(dependant: Any) -> list[Policy]:
    """Every policy declared on a route (its dependency tree, first level)."""
    if dependant is None:
        return []
    return [d.call for d in dependant.dependencies if isinstance(d.call, Policy)]


@dataclass(frozen=True)
class DeclaredRoute:
    methods: frozenset[str]
    path: str
    #: False for anything that is not a FastAPI route (a mount, a plain Starlette route).
    is_api_route: bool
    policies: tuple[Policy, ...]


def declared_routes(app: FastAPI) -> list[DeclaredRoute]:
    """The application's routes as requests meet them, with the policies they declare:
    included routers flattened (FastAPI keeps them nested from 0.16x on)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is already flat
        flat: list[Any] = list(app.routes)
        originals = flat
    else:
        contexts = list(iter_route_contexts(app.routes))
        flat, originals = contexts, [c.original_route for c in contexts]
    found = []
    for route, original in zip(flat, originals, strict=True):
        found.append(
            DeclaredRoute(
                methods=frozenset(getattr(route, "methods", None) or ()),
                path=str(getattr(route, "path", "") or repr(route)),
                is_api_route=isinstance(original, APIRoute),
                policies=tuple(route_policies(getattr(route, "dependant", None))),
            )
        )
    return found


def undeclared(app: FastAPI) -> list[str]:
    """Routes without exactly one declared policy (or that are not FastAPI routes at all)."""
    return [
        f"{','.join(sorted(r.methods)) or 'ANY'} {r.path}"
        for r in declared_routes(app)
        if not r.is_api_route or len(r.policies) != 1
    ]
