"""The documents and the operations endpoints: OpenAPI, interactive docs served from local
files (nothing from a CDN), health and readiness."""

from __future__ import annotations

import re

import httpx

from .server import Server


def test_the_docs_page_loads_only_local_assets(server: Server) -> None:
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls and all(u.startswith("/docs/assets/") for u in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    for url in urls:
        asset = httpx.get(f"{server.url}{url}")
        assert asset.status_code == 200 and len(asset.content) > 500, url
    assert httpx.get(f"{server.url}/docs/assets/index.html").status_code == 404
    assert httpx.get(f"{server.url}/docs/assets/..%2Fpyproject.toml").status_code == 404


def test_the_openapi_document_is_public_and_declares_the_tokens(server: Server) -> None:
    doc = httpx.get(f"{server.url}/openapi.json").json()
    assert doc["info"]["title"] == "Vacate"
    assert set(doc["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}
    assert "/v1/hosts/{host}/maintenance" in doc["paths"]
    assert "/v2.1/{tenant_id}/os-hosts/{host_name}" in doc["paths"]
    assert "security" not in doc["paths"]["/healthz"]["get"]
    assert doc["paths"]["/v1/hosts"]["get"]["security"]


def test_health_and_readiness_are_public(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/readyz").json() == {"status": "ready", "database": "reachable"}
    assert httpx.get(f"{server.url}/metrics").status_code == 401
