"""The processes a bench run starts: a WSGI server, redis-server, wrk. Loopback only.

Each runs under a context manager that stops it by its PID, whatever happens.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
BIN = Path(sys.executable).parent
LUA = Path(__file__).with_name("wrk_report.lua")
START_TIMEOUT = 60.0

# `make serve` runs SERVERS[DEFAULT_SERVER]; bench --servers compares the others.
SERVERS = {
    "sync": ["gunicorn", "--worker-class", "sync"],
    "gthread": ["gunicorn", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "5"],
    "granian": ["granian", "--interface", "wsgi", "--blocking-threads", "1", "--no-ws"],
}
DEFAULT_SERVER = "granian"


class ServerError(Exception):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def server_command(kind, app, *, port, workers, bin_dir=None):
    """The command line of server ``kind``, from ``bin_dir`` (default: our venv's bin)."""
    program, *options = SERVERS[kind]
    program = str(Path(bin_dir or BIN) / program)
    if kind == "granian":
        where = ["--host", LOOPBACK, "--port", str(port), "--workers", str(workers)]
        return [program, *options, *where, app]
    where = ["--bind", f"{LOOPBACK}:{port}", "--workers", str(workers)]
    return [program, app, *where, *options]


def stop(process, timeout=10.0):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def serving(app, *, env, kind=DEFAULT_SERVER, workers=2, log_path, probe="/", bin_dir=None):
    """Run ``app`` (``module:callable``) under server ``kind``; yield its port.

    ``bin_dir``: the virtualenv whose server runs it (the Wagtail reference has its own).
    """
    port = free_port()
    if ":" not in app:
        app += ":application"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            server_command(kind, app, port=port, workers=workers, bin_dir=bin_dir),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise ServerError(f"{kind} exited: {Path(log_path).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://{LOOPBACK}:{port}{probe}", timeout=10):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerError(f"{kind} not serving after {START_TIMEOUT:.0f} s") from None
                time.sleep(0.2)
        yield port
    finally:
        stop(process)


@contextmanager
def redis_server(tmp):
    """A redis-server of our own on a free loopback port, nothing saved; yield its URL (or None)."""
    program = shutil.which("redis-server")
    if not program:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(
        [
            program,
            "--port",
            str(port),
            "--bind",
            LOOPBACK,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection((LOOPBACK, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://{LOOPBACK}:{port}/0"
    finally:
        stop(process)


def ensure_wrk():
    """wrk's path; installed from Debian when missing (`make bench` does it too)."""
    found = shutil.which("wrk")
    if not found and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        found = shutil.which("wrk")
    if not found:
        raise ServerError("wrk is not installed: apt-get install wrk")
    return found


@dataclass
class Load:
    requests: int
    seconds: float
    errors: int  # not 2xx/3xx, timeouts, socket errors
    p50: float  # seconds
    p99: float
    bytes: int
    # The latency distribution as (seconds, share of requests) pairs (wrk_report.lua).
    quantiles: tuple = ()

    @property
    def rps(self):
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def merged(loads):
    """One ``Load`` of several runs of the same page: counts summed, p50 and p99
    those of all their requests pooled (each run weighs by its requests)."""
    requests = sum(load.requests for load in loads)
    pooled = sorted(
        (latency, share * load.requests) for load in loads for latency, share in load.quantiles
    )
    return Load(
        requests=requests,
        seconds=sum(load.seconds for load in loads),
        errors=sum(load.errors for load in loads),
        p50=pooled_percentile(pooled, 0.50),
        p99=pooled_percentile(pooled, 0.99),
        bytes=sum(load.bytes for load in loads),
        quantiles=tuple((latency, weight / requests) for latency, weight in pooled)
        if requests
        else (),
    )


def pooled_percentile(pooled, level):
    """The latency below which ``level`` of the weight of sorted (latency, weight) pairs lies."""
    target = level * sum(weight for _, weight in pooled)
    running = 0.0
    for latency, weight in pooled:
        running += weight
        if running >= target:
            return latency
    return pooled[-1][0] if pooled else 0.0


def wrk(port, path, *, seconds, connections, headers=(), warmup=1.0):
    """Load ``path`` for ``seconds`` (after ``warmup``) with wrk, one thread; a ``Load``."""
    program = ensure_wrk()
    url = f"http://{LOOPBACK}:{port}{path}"
    extra = [item for header in headers for item in ("-H", header)]

    def run(duration):
        out = subprocess.run(
            [
                program,
                "-t1",
                f"-c{connections}",
                f"-d{duration}s",
                "--timeout",
                "10s",
                "-s",
                str(LUA),
                *extra,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=False,
        )
        line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH-JSON ")), None)
        if line is None:
            raise ServerError(f"wrk: {out.stdout[-500:]} {out.stderr[-500:]}")
        return json.loads(line.removeprefix("BENCH-JSON "))

    if warmup:
        run(max(1, round(warmup)))
    found = run(max(1, round(seconds)))
    errors = found["status"] + found["timeout"] + found["connect"] + found["read"] + found["write"]
    return Load(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        errors=min(errors, found["requests"]),
        p50=found["p50"] / 1e6,
        p99=found["p99"] / 1e6,
        bytes=found["bytes"],
        quantiles=tuple((latency / 1e6, share) for latency, share in found["quantiles"]),
    )
