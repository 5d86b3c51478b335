"""``vacate serve``: the API on uvicorn and the worker thread, in one process.

SIGTERM (or Ctrl-C) stops it gracefully: the worker claims nothing new and hands back the job
it runs after the current step (the next process resumes it at once), event streams end,
uvicorn finishes the answers in progress and exits.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import uvicorn

from vacate.api.app import create_app
from vacate.api.services import Services
from vacate.api.worker import Worker
from vacate.domain.errors import SetupError
from vacate.engine.context import Context

log = logging.getLogger("vacate.server")

DEFAULT_BIND = "127.0.0.1:8779"
#: Answers still in progress at SIGTERM get this long (seconds).
GRACE_S = 5


@dataclass(frozen=True, kw_only=True)
class ServeOptions:
    host: str
    port: int
    tls_cert: Path | None = None
    tls_key: Path | None = None
    run_worker: bool = True
    #: Addresses whose X-Forwarded-For is believed (a TLS proxy in front).
    forwarded_allow_ips: str = "127.0.0.1"


def parse_bind(text: str) -> tuple[str, int]:
    host, sep, port = text.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--bind {text!r}: expected HOST:PORT, e.g. {DEFAULT_BIND}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _check_tls(options: ServeOptions) -> None:
    if (options.tls_cert is None) != (options.tls_key is None):
        raise ValueError("--tls-cert and --tls-key go together")
    if options.tls_cert is None or options.tls_key is None:
        return
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            options.tls_cert, options.tls_key
        )
    except (OSError, ssl.SSLError) as exc:
        raise SetupError(
            f"TLS certificate {options.tls_cert} / key {options.tls_key}: {exc}"
        ) from None


class _Server(uvicorn.Server):
    """uvicorn, telling the worker and the streams to stop as soon as a signal arrives (they
    share ``svc.stopping``), not after the open connections have closed; and waiting for the
    worker to hand its job back before uvicorn re-raises the signal to end the process."""

    def __init__(self, config: uvicorn.Config, svc: Services, on_stop: Callable[[], None]) -> None:
        super().__init__(config)
        self._svc = svc
        self._on_stop = on_stop

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            try:
                yield
            finally:
                self._svc.stopping.set()
                self._on_stop()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self._svc.stopping.is_set():
            log.info("stopping: no new job is claimed; the running one is handed back")
        self._svc.stopping.set()
        super().handle_exit(sig, frame)


def _check_port(options: ServeOptions) -> None:
    """Refuse a taken or forbidden address before anything starts (uvicorn would log it and
    exit after the worker had started), with one line naming it."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((options.host, options.port))
        except OSError as exc:
            raise SetupError(
                f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}"
                " (another server there? choose another --bind)"
            ) from None


def serve(svc: Services, worker_ctx: Context | None, options: ServeOptions) -> None:
    _check_tls(options)
    _check_port(options)
    app = create_app(svc)
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        ssl_certfile=str(options.tls_cert) if options.tls_cert else None,
        ssl_keyfile=str(options.tls_key) if options.tls_key else None,
        log_config=None,  # vacate.api.logs configured the handlers
        access_log=False,  # the middleware writes the access lines, without secrets
        proxy_headers=True,
        forwarded_allow_ips=options.forwarded_allow_ips,
        timeout_graceful_shutdown=GRACE_S,
        server_header=False,
    )
    worker = None
    if options.run_worker and worker_ctx is not None:
        worker = Worker(worker_ctx, svc.metrics.watcher(), stop=svc.stopping)

    def stop_worker() -> None:
        if worker is not None:
            worker.stop()
        log.info("stopped")

    server = _Server(config, svc, stop_worker)
    scheme = "https" if options.tls_cert else "http"
    log.info("serving on %s://%s:%d", scheme, options.host, options.port)
    if worker is not None:
        worker.start()
    server.run()
