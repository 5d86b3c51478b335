"""API benchmark: concurrent readers against a real ``vacate serve`` while a drain runs.

A simulated cloud of 1,000 hosts is made in a temporary VACATE_HOME, a server is started on a
free loopback port, one host is put into maintenance through the API, and while its drain runs
``--clients`` threads read hosts, the job list and the job itself as fast as they are answered,
and one more client follows the job's event stream. It prints requests per second, median and
99th-percentile latency per kind of request, and the error count (any answer but 2xx, or a
failed connection). Exit status 1 if there was an error.

    python bench/api.py [--hosts 1000] [--instances 6000] [--clients 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

VACATE = Path(sys.executable).parent / "vacate"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [str(VACATE), *args], env=env, capture_output=True, text=True, check=True
    ).stdout


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Readers:
    """The clients' shared tally: latencies by request kind, errors, requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.events = 0

    def record(self, kind: str, took: float, ok: bool) -> None:
        with self.lock:
            self.latency[kind].append(took)
            if not ok:
                self.errors[kind] += 1


def reader(
    url: str, token: str, job_id: str, host: str, stop: threading.Event, tally: Readers, n: int
) -> None:
    paths = {
        "hosts": "/v1/hosts",
        "host": f"/v1/hosts/{host}",
        "jobs": "/v1/jobs",
        "job": f"/v1/jobs/{job_id}",
    }
    kinds = list(paths)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        i = n
        while not stop.is_set():
            kind = kinds[i % len(kinds)]
            i += 1
            began = time.perf_counter()
            try:
                ok = c.get(paths[kind]).is_success
            except httpx.HTTPError:
                ok = False
            tally.record(kind, time.perf_counter() - began, ok)


def follower(url: str, token: str, job_id: str, stop: threading.Event, tally: Readers) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    try:
        with httpx.stream(
            "GET", f"{url}/v1/jobs/{job_id}/events", headers=headers, timeout=None
        ) as r:
            for line in r.iter_lines():
                if line.startswith("id:"):
                    tally.events += 1
                if stop.is_set():
                    return
    except httpx.HTTPError:
        tally.errors["events"] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--speed", default="2", help="simulated cloud speed during the drain")
    parser.add_argument(
        "--separate-worker",
        action="store_true",
        help="serve --no-worker, and run the drain in a `vacate worker` process",
    )
    parser.add_argument(
        "--read-cache", default="0", help="vacate serve --read-cache (seconds; 0: in flight only)"
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="vacate-bench-api-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VACATE_")}
    env.update(VACATE_HOME=str(home), VACATE_SIM_SPEED=args.speed)
    cli(env, "sim", "init", "--hosts", str(args.hosts), "--instances", str(args.instances))
    token = json.loads(
        cli(env, "token", "create", "--role", "admin", "--name", "bench", "-f", "json")
    )["token"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(home / "serve.log", "w")  # noqa: SIM115 (the child keeps it)
    serve = [str(VACATE), "serve", "--bind", f"127.0.0.1:{port}", "--read-cache", args.read_cache]
    if args.separate_worker:
        serve.append("--no-worker")
    server = subprocess.Popen(serve, env=env, stdout=log, stderr=log)
    worker = None
    if args.separate_worker:
        worker = subprocess.Popen([str(VACATE), "worker"], env=env, stdout=log, stderr=log)
    try:
        return run(args, url, token, server)
    finally:
        for process in (server, worker):
            if process is not None:
                process.terminate()
                process.wait(30)
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace, url: str, token: str, server: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz").is_success:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            print("the server did not start", file=sys.stderr)
            return 1
        time.sleep(0.2)
    auth = {"Authorization": f"Bearer {token}"}
    hosts = httpx.get(f"{url}/v1/hosts", headers=auth, timeout=60).json()
    busiest = max(hosts, key=lambda h: h["instance_count"])
    job = httpx.post(
        f"{url}/v1/hosts/{busiest['name']}/maintenance",
        json={"reason": "bench", "policy": {"suspended": "skip", "error": "skip"}},
        headers=auth,
    ).json()
    stop = threading.Event()
    tally = Readers()
    threads = [
        threading.Thread(
            target=reader, args=(url, token, job["id"], busiest["name"], stop, tally, n)
        )
        for n in range(args.clients)
    ]
    threads.append(threading.Thread(target=follower, args=(url, token, job["id"], stop, tally)))
    began = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join(120)
    took = time.perf_counter() - began
    status = httpx.get(f"{url}/v1/jobs/{job['id']}", headers=auth, timeout=60).json()["status"]
    metrics = httpx.get(f"{url}/metrics", headers=auth, timeout=60).text
    report(args, busiest, tally, took, status)
    print("server-side mean (from /metrics, time inside the application):")
    for route, mean in server_means(metrics).items():
        print(f"  {route:<28} {mean * 1000:8.1f} ms")
    return 1 if sum(tally.errors.values()) else 0


def server_means(metrics: str) -> dict[str, float]:
    """Mean answer time per route from the ``vacate_api_request_seconds`` histogram."""
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for line in metrics.splitlines():
        for suffix, into in (("_sum", sums), ("_count", counts)):
            prefix = f'vacate_api_request_seconds{suffix}{{route="'
            if line.startswith(prefix):
                route = line[len(prefix) :].split('"')[0]
                into[route] = float(line.split()[-1])
    return {r: sums[r] / counts[r] for r in sorted(sums) if counts.get(r)}


def report(
    args: argparse.Namespace, busiest: dict[str, object], tally: Readers, took: float, status: str
) -> None:
    total = sum(len(v) for v in tally.latency.values())
    errors = sum(tally.errors.values())
    print(
        f"{args.hosts} hosts, {args.instances} instances, read cache {args.read_cache} s, "
        f"worker {'in its own process' if args.separate_worker else 'in the server'}; "
        f"{args.clients} clients for {took:.1f} s "
        f"while {busiest['name']} ({busiest['instance_count']} instances) drains "
        f"(job {status} at the end)"
    )
    print(f"{'request':<8} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for kind, values in sorted(tally.latency.items()):
        print(
            f"{kind:<8} {len(values):>7} {len(values) / took:>8.1f} "
            f"{statistics.median(values) * 1000:>8.1f} {percentile(values, 0.99) * 1000:>8.1f} "
            f"{tally.errors[kind]:>7}"
        )
    every = [x for v in tally.latency.values() for x in v]
    print(
        f"{'all':<8} {total:>7} {total / took:>8.1f} {statistics.median(every) * 1000:>8.1f} "
        f"{percentile(every, 0.99) * 1000:>8.1f} {errors:>7}"
    )
    print(f"event stream: {tally.events} events received, {tally.errors['events']} errors")


if __name__ == "__main__":
    sys.exit(main())
