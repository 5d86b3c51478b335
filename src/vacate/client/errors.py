"""What can go wrong between the CLI and a server, beyond the engine's own errors."""

from __future__ import annotations

from vacate.domain.errors import SetupError, VacateError


class RemoteError(VacateError):
    """The server answered with an error: its status, its ``code`` word and its message (the
    API's one error shape, ``{"error": {"code": ..., "message": ...}}``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Unreachable(SetupError):
    """No answer from the server (refused, unknown name, TLS, timeout, not a Vacate server):
    the message names the URL."""
