# ruff: noqa: I001  (the import order matters: Nova must pick its concurrency mode first)
"""A real Nova control plane in one process, served over HTTP on a free loopback port.

Run with the Python of the environment that has the Nova stack (``make test`` builds it):
``python nova_server.py --hosts compute-1,compute-2``. It starts nova-api, conductor,
scheduler, Placement and one nova-compute per host on the fake virt driver of
``nova_driver.py``, the way Nova's own functional tests do (SQLite, oslo.messaging's
``fake://`` transport), then prints ``READY <port>`` and serves until its standard input
closes. Nova's API is at ``/v2.1``, Placement's at ``/placement``; ``/_vacate/...`` steers the
test cloud (plans for live migrations, 503 injection, request counts, a compute's death and
restart).

Authentication: a token ``user:project`` is that user (admin if the user is ``admin``); any
other token, or none, is the admin — enough for openstacksdk's ``auth_type: none``.
"""

from __future__ import annotations

import os
import sys

os.environ["OS_NOVA_DISABLE_EVENTLET_PATCHING"] = "1"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nova.tests.functional  # noqa: F401  (first: it sets Nova's concurrency mode)

import argparse
import collections
import datetime
import io
import json
import logging
import socketserver
import threading
from wsgiref import simple_server

import fixtures
import futurist
from nova import context as nova_context
from nova import objects
from oslo_utils import timeutils
from nova.tests import fixtures as nova_fixtures
from nova.tests.fixtures import conf as conf_fixtures
from nova.tests.functional import integrated_helpers
from placement import deploy as placement_deploy

import nova_driver

# Nova loads ``compute_driver`` from the ``nova.virt`` namespace.
sys.modules["nova.virt.vacate_fake"] = nova_driver

IMAGE_ID = nova_fixtures.GlanceFixture.image1["id"]
NETWORK_ID = nova_fixtures.NeutronFixture.network_1["id"]
PROJECT_ID = "6f70656e737461636b20342065766572"


class _ConfFixture(conf_fixtures.ConfFixture):
    """Nova's test configuration, adjusted for a long-running server of an installed Nova."""

    def setUp(self):
        super().setUp()
        paste = os.path.join(sys.prefix, "etc", "nova", "api-paste.ini")
        self.conf.set_default("api_paste_config", paste, group="wsgi")
        # Answers the published schemas do not cover must not become 500s.
        self.conf.set_default("response_validation", "warn", group="api")
        for name in ("instances", "cores", "ram"):
            self.conf.set_default(name, -1, group="quota")


class _QuietLogging(fixtures.Fixture):
    """Warnings and errors to stderr; nothing kept in memory."""

    def setUp(self):
        super().setUp()
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)


def _create_context(env, **kwargs):
    """The test token scheme: ``user:project`` is that user; any other token is the admin
    (``auth_type: none`` sends keystoneauth's placeholder ``notused``)."""
    token = env.get("HTTP_X_AUTH_TOKEN") or ""
    user_id, _, project_id = token.partition(":") if ":" in token else ("admin", "", "")
    project_id = project_id or PROJECT_ID
    is_admin = user_id == "admin"
    roles = ["reader", "member", "admin"] if is_admin else ["reader", "member"]
    return nova_context.RequestContext(
        user_id, project_id, is_admin=is_admin, roles=roles, **kwargs
    )


class NovaCloud(integrated_helpers.ProviderUsageBaseTestCase):
    """Nova's functional-test set-up, run once as a server instead of per test."""

    compute_driver = "vacate_fake.VacateFakeDriver"

    def runTest(self):
        """Unused: the set-up is the point."""

    def start(self, hosts):
        idle = futurist._thread.ThreadWorker.MAX_IDLE_FOR
        with (
            fixtures.MonkeyPatch("nova.tests.fixtures.ConfFixture", _ConfFixture),
            fixtures.MonkeyPatch("nova.tests.fixtures.StandardLogging", _QuietLogging),
            fixtures.MonkeyPatch("nova.tests.fixtures.WarningsFixture", fixtures.Fixture),
        ):
            self.setUp()
        # The test base lowers it to 0.01 s: idle worker threads would then spin.
        futurist._thread.ThreadWorker.MAX_IDLE_FOR = idle
        self.useFixture(
            fixtures.MonkeyPatch(
                "nova.api.auth.NovaKeystoneContext._create_context", _create_context
            )
        )
        for host in hosts:
            self._start_compute(host)
        self.placement_app = placement_deploy.loadapp(self.placement.fixture.conf_fixture.conf)
        self.nova_app = self.api_fixture.app()

    def kill(self, host):
        """The compute dies: its service stops and its last heartbeat is an hour old, so the
        API reports it ``down`` whether or not it is forced down."""
        compute = self.computes[host]
        compute.stop()
        compute.stop = lambda: None  # a restart must not stop it twice
        ctx = nova_context.get_admin_context()
        with nova_context.target_cell(ctx, self.cell_mappings["cell1"]) as cctx:
            service = objects.Service.get_by_compute_host(cctx, host)
            service.last_seen_up = timeutils.utcnow() - datetime.timedelta(hours=1)
            service.save()

    def restart(self, host):
        self.computes[host] = self.restart_compute_service(self.computes[host])


class Gate:
    """Counts API requests, keeps the bodies of server actions (what a move asked for) and
    answers 503 to the next ``unavailable`` requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.unavailable = 0
        self.counts = collections.Counter()
        self.actions = []

    def keep_action(self, environ, path):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(size) if size else b""
        environ["wsgi.input"] = io.BytesIO(data)
        server = path.split("/")[-2]
        with self.lock:
            self.actions.append({"server": server, "body": json.loads(data or b"null")})

    def admit(self, method, path):
        with self.lock:
            self.counts[f"{method} {path}"] += 1
            if self.unavailable > 0:
                self.unavailable -= 1
                return False
            return True


def _json(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def make_app(cloud, gate):
    def control(environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"][len("/_vacate") :]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size) or b"{}") if size else {}
        if path == "/info":
            return _json(
                start_response,
                "200 OK",
                {"image": IMAGE_ID, "network": NETWORK_ID, "hosts": sorted(cloud.computes)},
            )
        if path == "/migration" and method == "POST":
            plan = nova_driver.Plan(
                seconds=float(body.get("seconds", 0.3)),
                converge=bool(body.get("converge", True)),
                fail=body.get("fail"),
                reason=body.get("reason", "injected failure"),
            )
            nova_driver.CONTROL.set(body["server"], plan)
            return _json(start_response, "200 OK", {})
        if path == "/unavailable" and method == "POST":
            with gate.lock:
                gate.unavailable = int(body["count"])
            return _json(start_response, "200 OK", {})
        if path == "/actions":
            with gate.lock:
                return _json(start_response, "200 OK", list(gate.actions))
        if path == "/requests":
            with gate.lock:
                counts = dict(gate.counts)
                if method == "DELETE":
                    gate.counts.clear()
            return _json(start_response, "200 OK", counts)
        if path == "/kill" and method == "POST":
            cloud.kill(body["host"])
            return _json(start_response, "200 OK", {})
        if path == "/restart" and method == "POST":
            cloud.restart(body["host"])
            return _json(start_response, "200 OK", {})
        return _json(start_response, "404 Not Found", {"error": path})

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_vacate/"):
            return control(environ, start_response)
        if not gate.admit(environ["REQUEST_METHOD"], path):
            return _json(
                start_response,
                "503 Service Unavailable",
                {"error": {"code": 503, "message": "the API is unavailable (injected)"}},
            )
        if environ["REQUEST_METHOD"] == "POST" and path.endswith("/action"):
            gate.keep_action(environ, path)
        if path.startswith("/placement"):
            environ["SCRIPT_NAME"] = "/placement"
            environ["PATH_INFO"] = path[len("/placement") :] or "/"
            if ":" not in environ.get("HTTP_X_AUTH_TOKEN", ""):
                environ["HTTP_X_AUTH_TOKEN"] = "admin"
            return cloud.placement_app(environ, start_response)
        return cloud.nova_app(environ, start_response)

    return app


class _Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):
        """Requests are counted by the gate, not logged."""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="compute-1,compute-2")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    cloud = NovaCloud()
    try:
        cloud.start([h for h in args.hosts.split(",") if h])
    except BaseException:  # a half-started Nova must not linger: say why and go
        logging.getLogger(__name__).exception("Nova did not start")
        sys.stderr.flush()
        os._exit(1)
    gate = Gate()
    server = simple_server.make_server(
        "127.0.0.1", args.port, make_app(cloud, gate), server_class=_Server, handler_class=_Handler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    # The parent holds our standard input: when it goes (or dies), so do we.
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
