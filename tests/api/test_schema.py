"""Schemathesis over the server's own OpenAPI document: generated requests on every operation,
as an admin, against a real server. No answer is a 5xx, and every answer matches what the
document declares for it (status, content type, headers, body schema).

Examples are bounded so that the run stays fast; the server is this module's own.
"""

from __future__ import annotations

from typing import cast

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from vacate.api.app import create_app
from vacate.api.services import Services

from .conftest import Tokens
from .server import Server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


#: The document as the application builds it; the test below checks the server serves it.
DOCUMENT = create_app(cast(Services, None)).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_server_serves_the_document_under_test(server: Server) -> None:
    assert httpx.get(f"{server.url}/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_matches_the_document(
    case: schemathesis.Case, server: Server, tokens: Tokens
) -> None:
    case.call_and_validate(
        base_url=server.url,
        headers={"Authorization": f"Bearer {tokens.admin}"},
        checks=CHECKS,
        timeout=30,
    )
