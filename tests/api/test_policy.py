"""Every route declares who may call it, and the running server holds every route to it: for
anonymous callers, readers, admins, an expired and a revoked token, and a made-up one."""

from __future__ import annotations

import uuid
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from vacate.api.app import create_app
from vacate.api.policy import DeclaredRoute, Public, declared_routes, undeclared
from vacate.api.services import Services
from vacate.domain.actors import Role

from .conftest import Tokens
from .server import Server, wait_for_job


def build_app() -> FastAPI:
    """The route table alone: nothing here calls a route."""
    return create_app(cast(Services, None))


def routes() -> list[DeclaredRoute]:
    return declared_routes(build_app())


def test_every_route_declares_exactly_one_policy() -> None:
    table = routes()
    assert len(table) >= 20  # the walk does see the routes of the included routers
    assert undeclared(build_app()) == []


def test_a_route_without_a_declared_policy_is_caught() -> None:
    app = build_app()

    @app.get("/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    app.mount("/static", FastAPI())
    assert undeclared(app) == ["GET /v1/forgotten", "ANY /static"]


def test_only_health_readiness_the_documents_and_the_dashboards_sign_in_are_public() -> None:
    public = sorted(r.path for r in routes() if isinstance(r.policies[0], Public))
    assert public == [
        "/docs",
        "/docs/assets/{name}",
        "/healthz",
        "/openapi.json",
        "/readyz",
        "/signin",  # the dashboard's sign-in form (GET) and its answer (POST)
        "/signin",
        "/ui/static/{asset}",  # the dashboard's own scripts and style sheet
    ]


# ------------------------------------------------------------------ the server
NOWHERE = f"no-such-host-{uuid.uuid4().hex[:6]}"

#: What each kind of caller presents.
CALLERS = ("anonymous", "garbage", "expired", "revoked", "reader", "admin")


def presented(tokens: Tokens, who: str) -> dict[str, str]:
    token = {
        "anonymous": None,
        "garbage": "vct_0123456789abcdef." + "x" * 43,
        "expired": tokens.expired,
        "revoked": tokens.revoked,
        "reader": tokens.reader,
        "admin": tokens.admin,
    }[who]
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def concrete(route: DeclaredRoute, job_id: str) -> tuple[str, Any]:
    """A request on ``route``: reads look at a real host and job; actions aim at a host that
    does not exist, so that an admin is let through and changes nothing (404)."""
    acts = route.policies[0].role is Role.ADMIN
    values = {
        "host": NOWHERE if acts else "c01",
        "host_name": NOWHERE if acts else "c01",
        "job_id": "000000000000" if acts else job_id,
        "tenant_id": "tenant-1",
        "name": "swagger-ui.css",
        "asset": "app.css",
    }
    path = route.path
    for key, value in values.items():
        path = path.replace("{" + key + "}", value)
    body: Any = None
    if path.endswith("/maintenance") and "POST" in route.methods:
        body = {"reason": "policy check"}
    elif "os-hosts" in path and "PUT" in route.methods:
        body = {"host": {"status": "disable"}}
    return path, body


@pytest.fixture(scope="module")
def a_job(server: Server, tokens: Tokens) -> str:
    with server.client(tokens.admin) as admin:
        answer = admin.post(
            "/v1/hosts/c08/migrate-instances", json={"policy": {"suspended": "skip"}}
        )
        assert answer.status_code == 202, answer.text
        job_id: str = answer.json()["id"]
        wait_for_job(admin, job_id)
        return job_id


def expected(route: DeclaredRoute, who: str) -> str:
    role = route.policies[0].role
    if route.path == "/signin" and "POST" in route.methods:
        return "refused"  # a sign-in without its form's double-submit cookie: 403, a page
    if role is None:
        return "ok"
    if who in ("anonymous", "garbage", "expired", "revoked"):
        return "401"
    if role is Role.ADMIN and who == "reader":
        return "403"
    return "through"


def test_every_route_answers_each_caller_as_its_policy_says(
    server: Server, tokens: Tokens, a_job: str
) -> None:
    problems = []
    actions = 0
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for route in routes():
            path, body = concrete(route, a_job)
            for method in sorted(route.methods):
                for who in CALLERS:
                    answer = client.request(method, path, json=body, headers=presented(tokens, who))
                    want = expected(route, who)
                    got = answer.status_code
                    if route.policies[0].role is Role.ADMIN:
                        actions += 1
                    ok = {
                        "ok": got == 200,
                        "401": want == "401"
                        and got == 401
                        and answer.json()["error"]["code"] == "unauthorized",
                        "403": want == "403"
                        and got == 403
                        and answer.json()["error"]["code"] == "forbidden",
                        "through": got not in (401, 403) and got < 500,
                        "refused": got == 403,
                    }[want]
                    if not ok:
                        problems.append(f"{method} {path} as {who}: {got}, expected {want}")
    assert problems == []
    assert actions > 0


def test_a_refused_caller_is_told_how_to_authenticate(server: Server) -> None:
    answer = httpx.get(f"{server.url}/v1/hosts")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json() == {
        "error": {
            "code": "unauthorized",
            "message": "a token is required: Authorization: Bearer <token>",
        }
    }


def test_the_nova_header_works_like_a_bearer_token(server: Server, tokens: Tokens) -> None:
    with server.client(tokens.reader, header="x-auth-token") as reader:
        assert reader.get("/v1/hosts/c01").json()["name"] == "c01"
        assert reader.get("/v2.1/os-hosts/c01").json()["host"]["host"] == "c01"


def test_every_action_and_every_refusal_is_in_the_audit_log(server: Server, tokens: Tokens) -> None:
    host = f"audited-{uuid.uuid4().hex[:6]}"
    for who in CALLERS:
        httpx.post(
            f"{server.url}/v1/hosts/{host}/maintenance",
            json={"reason": "audit"},
            headers=presented(tokens, who),
        )
    httpx.get(f"{server.url}/v1/hosts/{host}")  # a refused read is recorded too
    httpx.get(f"{server.url}/v1/hosts/{host}", headers=presented(tokens, "reader"))  # not this
    with server.client(tokens.reader) as reader:
        page = reader.get("/v1/audit", params={"host": host}).json()
    seen = [(e["actor"], e["action"], e["outcome"], e["status"]) for e in page["items"]][::-1]
    assert seen == [
        ("anonymous", "maintenance.enter", "denied", 401),
        ("anonymous", "maintenance.enter", "denied", 401),  # the made-up token
        ("ops-expired", "maintenance.enter", "denied", 401),
        ("ops-revoked", "maintenance.enter", "denied", 401),
        ("ops-reader", "maintenance.enter", "denied", 403),
        ("ops-admin", "maintenance.enter", "failed", 404),
        ("anonymous", "hosts.show", "denied", 401),
    ]
    newest_first = page["items"]
    assert [e["detail"] for e in newest_first[-4:]] == [
        "revoked token",
        "expired token",
        "invalid token",
        "a token is required: Authorization: Bearer <token>",
    ]
    assert newest_first[1]["origin"] == "api 127.0.0.1"
    assert newest_first[1]["detail"] == f"host {host!r} not found"
    assert all(e["at"] > 1e9 for e in page["items"])  # wall time, whatever the cloud's clock
