"""Start and stop what the bench measures: gunicorn (gateway or bare endpoint), RQ workers."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gateway import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GATEWAY_APP = "gateway.wsgi:app"
BARE_APP = "bench.ingestkit.bare_app:app"
NAIVE_APP = "bench.ingestkit.naive_app:app"


@dataclass(frozen=True)
class ServerSettings:
    """gunicorn settings, identical for the gateway and the bare endpoint."""
    worker_class: str
    workers: int
    threads: int

    def args(self) -> list[str]:
        threads = ["--threads", str(self.threads)] if self.worker_class == "gthread" else []
        return ["-c", "python:gateway.gunicorn_conf", "--worker-class", self.worker_class,
                "--workers", str(self.workers), *threads]

    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"gunicorn gthread, {self.workers} workers x {self.threads} threads"
        return f"gunicorn {self.worker_class}, {self.workers} workers x {gunicorn_conf.worker_connections} connections"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, port: int, settings: ServerSettings, env: dict, log: Path) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", *settings.args()]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
    return server


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def start_workers(count: int, env: dict, log: Path, *, burst: bool) -> list[subprocess.Popen]:
    command = [str(BIN / "gateway"), "worker"] + (["--burst"] if burst else [])
    return [subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT)
            for _ in range(count)]


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM (gunicorn and RQ finish what they hold), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gateway_cli(env: dict, *args: str) -> str:
    done = subprocess.run([str(BIN / "gateway"), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"gateway {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def environment(overrides: dict) -> dict:
    return {**os.environ, **overrides}
