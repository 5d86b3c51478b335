"""Nova's and Placement's error answers as Vacate's classified errors.

Nova reports a refusal as ``{"<kind>": {"code": 409, "message": "..."}}``, Placement as
``{"errors": [{"detail": "..."}]}``. The message is kept (it is what an operator needs); the
status decides the class: 404 → ``NotFound``; 409 → ``TemporaryError`` while the instance is
busy with another task (it clears by itself), else ``Conflict``; 400 → ``PermanentError`` (a
request Nova will never accept, such as NoValidHost); 401/403 → ``PermanentError`` naming the
missing rights; 5xx → ``TemporaryError`` (the caller has already retried).
"""

from __future__ import annotations

import json
import re

from vacate.domain.errors import Conflict, NotFound, PermanentError, TemporaryError, VacateError

#: Nova's InstanceInvalidState: "Cannot 'os-migrateLive' instance <uuid> while it is in
#: task_state migrating".
_BUSY = re.compile(r"while it is in task_state (?!None\b)\S+")
#: How long to wait before retrying an instance that is busy with another task.
BUSY_DELAY_S = 10.0
SERVER_ERROR_DELAY_S = 15.0


def message_of(body: bytes | str, status: int) -> str:
    """The human message in an error answer, on one line (or the status if there is none)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found: str | None = None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get("errors"), list) and data["errors"]:
            first = data["errors"][0]
            if isinstance(first, dict):
                found = str(first.get("detail") or first.get("title") or "")
        else:
            for value in data.values():
                if isinstance(value, dict) and "message" in value:
                    found = str(value["message"])
                    break
    if not found:
        found = text.strip() if text.strip() and not text.lstrip().startswith("<") else ""
    line = " ".join(found.split())
    return line[:500] if line else f"HTTP {status}"


def classify(status: int, message: str, *, kind: str, name: str) -> VacateError:
    """The classified error for an answer with this status about the ``kind`` named ``name``."""
    if status == 404:
        return NotFound(kind, name)
    if status == 409:
        if _BUSY.search(message):
            return TemporaryError(message, delay=BUSY_DELAY_S)
        return Conflict(message)
    if status in (401, 403):
        return PermanentError(f"Nova refused {kind} {name}: {message} (Vacate needs admin rights)")
    if status >= 500:
        return TemporaryError(
            f"the cloud failed on {kind} {name}: {message}", delay=SERVER_ERROR_DELAY_S
        )
    return PermanentError(message)
