"""Errors as the terminal sees them: one line on stderr, an exit code and — under ``-f json`` —
the API's error object on stdout, ``{"error": {"code": ..., "message": ...}}``.

An error raised in this process and the same error answered by a server end the same way: the
engine's errors are given the code the API gives them (``vacate.api.errors``), and a server's
answer keeps its own code and message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vacate.cli.apps import (
    EXIT_CONFLICT,
    EXIT_DENIED,
    EXIT_FAILED,
    EXIT_NOT_FOUND,
    EXIT_SETUP,
    EXIT_USAGE,
)
from vacate.client.errors import RemoteError, Unreachable
from vacate.domain.errors import Conflict, NotFound, PlanNotReady, SetupError, VacateError


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    exit: int
    #: The stderr line's first word(s).
    label: str = "error"
    #: More stderr lines (a plan's blocked instances).
    details: tuple[str, ...] = ()

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


#: A server's code → the exit code and label a local error of that kind has.
_BY_CODE = {
    "not_found": (EXIT_NOT_FOUND, "error"),
    "conflict": (EXIT_CONFLICT, "conflict"),
    "not_ready": (EXIT_FAILED, "not ready"),
    "invalid": (EXIT_USAGE, "error"),
    "bad_request": (EXIT_USAGE, "error"),
    "not_supported": (EXIT_USAGE, "error"),
    "unauthorized": (EXIT_DENIED, "refused"),
    "forbidden": (EXIT_DENIED, "refused"),
    "unavailable": (EXIT_SETUP, "error"),
}

_AUTH_HINT = {
    "unauthorized": " (set VACATE_TOKEN, or client.token_file in the config file, to a token "
    "from `vacate token create` on the server)",
    "forbidden": "",
}


def _remote(exc: RemoteError) -> Failure:
    exit_code, label = _BY_CODE.get(exc.code, (EXIT_FAILED, "error"))
    if exc.status >= 500 and exc.code not in _BY_CODE:
        label = "server error"
    message = exc.message + _AUTH_HINT.get(exc.code, "")
    return Failure(exc.code, message, exit_code, label)


def classify(exc: BaseException) -> Failure | None:
    """The failure an exception stands for; None for one that is not Vacate's (a bug)."""
    if isinstance(exc, RemoteError):
        return _remote(exc)
    if isinstance(exc, NotFound):
        return Failure("not_found", str(exc), EXIT_NOT_FOUND)
    if isinstance(exc, PlanNotReady):
        details = tuple(f"  {name}: {reason}" for name, reason in exc.blocked)
        return Failure("not_ready", str(exc), EXIT_FAILED, "not ready", details)
    if isinstance(exc, Conflict):
        return Failure("conflict", str(exc), EXIT_CONFLICT, "conflict")
    if isinstance(exc, Unreachable):
        return Failure("unreachable", str(exc), EXIT_SETUP)
    if isinstance(exc, SetupError):
        return Failure("unavailable", str(exc), EXIT_SETUP)
    if isinstance(exc, ValueError):
        return Failure("invalid", str(exc), EXIT_USAGE)
    if isinstance(exc, VacateError):
        return Failure("failed", str(exc), EXIT_FAILED)
    return None


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for ``-f json`` / ``--format json`` (an error may come
    before the option is parsed, so it is read from the arguments themselves)."""
    args = list(argv)
    for i, arg in enumerate(args):
        if arg in ("-f", "--format") and i + 1 < len(args):
            if args[i + 1].lower() == "json":
                return True
        elif arg.lower() in ("--format=json", "-fjson"):
            return True
    return False
