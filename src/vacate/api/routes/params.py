"""Parameters several routes share: path names, the Idempotency-Key, pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

from vacate.api.errors import error_responses

_NAME = r"^[^\x00-\x1f\x7f/]+$"

HostPath = Annotated[
    str,
    Path(
        min_length=1, max_length=255, pattern=_NAME, description="Exact host name", examples=["c01"]
    ),
]
JobPath = Annotated[str, Path(min_length=1, max_length=32, pattern=_NAME, description="Job id")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="The same key again answers with the same job",
    ),
]
PageLimit = Annotated[int, Query(ge=1, le=1000, description="At most this many")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]

READ_ERRORS = error_responses(401, 422)
HOST_READ_ERRORS = error_responses(401, 404, 422)
ACTION_ERRORS = error_responses(401, 403, 404, 409, 422)
#: A body that cannot even be parsed is 400 (one that parses but is wrong: 422).
BODY_ERRORS = error_responses(400)
