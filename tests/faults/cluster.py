"""Throwaway PostgreSQL and Redis servers and the gateway's real processes, for the fault suite.

Never the machine's own services (5432, 6379): other engineers and CI use them. Everything
here runs on free loopback ports in a temporary directory and is removed afterwards.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or ([shutil.which("initdb")] if shutil.which("initdb") else [])
    return Path(found[-1]).parent if found else None


def why_not_runnable() -> str | None:
    """A clear reason to skip, or None when the servers can be started here."""
    if postgres_bin() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found"
    if shutil.which("redis-server") is None:
        return "redis-server not found"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and no runuser to drop to the postgres user"
    return None


class Postgres:
    """A cluster of its own: initdb into a temp dir, pg_ctl start/stop on a free port."""

    def __init__(self, base: Path):
        self.port = free_port()
        self.data = base / "pgdata"
        self.log = base / "postgres.log"
        self._bin = postgres_bin()
        self._as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_user:
            shutil.chown(base, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run([*self._as_user, str(self._bin / program), *args], check=True, capture_output=True, timeout=60)


class RedisServer:
    def __init__(self, base: Path):
        self.port = free_port()
        self._log = open(base / "redis.log", "ab")
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=self._log, stderr=self._log)
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)


class Supervised:
    """A gateway process restarted when it exits, as compose's `restart: unless-stopped` does."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self._argv, self._env, self._log = name, argv, env, open(log, "ab")
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = False
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and its scheduler child): no cleanup at all."""
        os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        self._stopping = True
        if self.process and self.process.poll() is None:
            with _suppress_lookup():
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self._argv, env=self._env, cwd=ROOT, stdout=self._log, stderr=self._log,
                                        start_new_session=True)

    def _watch(self) -> None:
        while not self._stopping:
            if self.process.poll() is not None and not self._stopping:
                with _suppress_lookup():
                    os.killpg(self.process.pid, signal.SIGKILL)    # orphans of the dead one
                self.restarts += 1
                self._spawn()
            time.sleep(0.2)


class _suppress_lookup:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        return exc_type is ProcessLookupError


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout} s")


def _wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def gateway_command(*args: str) -> list[str]:
    return [str(BIN / "gateway"), *args]


def gunicorn_command(port: int) -> list[str]:
    """The production settings (gateway/gunicorn_conf.py: gevent workers), as compose runs them."""
    return [str(BIN / "gunicorn"), "-c", "python:gateway.gunicorn_conf", "gateway.wsgi:app",
            "--bind", f"127.0.0.1:{port}"]
