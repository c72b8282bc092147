"""The fault suite's stack: its own PostgreSQL and Redis, gunicorn, two RQ workers, a fake Twilio.

Module-scoped: the scenarios share one stack and each checks only the messages it sent.
Timings are shortened through the same environment variables an operator would set.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import TEST_KEYS
from tests.fakes.provider_server import FakeProviderServer, TwilioLedger
from tests.faults import cluster

pytestmark = pytest.mark.faults
TALLY = {"requests sent": 0, "faults injected": 0, "reports accepted": 0, "reports lost": 0, "duplicates": 0}


def pytest_terminal_summary(terminalreporter):
    if TALLY["requests sent"]:
        terminalreporter.write_sep("-", "fault suite")
        terminalreporter.write_line(", ".join(f"{key}: {value}" for key, value in TALLY.items()))


@dataclass
class Stack:
    base: Path
    postgres: cluster.Postgres
    redis: cluster.RedisServer
    ledger: TwilioLedger
    env: dict
    web_url: str
    web: cluster.Supervised | None = None
    workers: list = field(default_factory=list)

    def sql(self, query: str, **params) -> list:
        engine = create_engine(self.postgres.url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query), params))
        finally:
            engine.dispose()

    def spool_entries(self) -> int:
        return len(list(Path(self.env["SPOOL_DIR"]).glob("*.entry")))

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for log in sorted(self.base.glob("*.log")):
            parts.append(f"== {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(parts)


@pytest.fixture(scope="module")
def stack():
    reason = cluster.why_not_runnable()
    if reason:
        pytest.skip(f"fault suite needs its own servers: {reason}")
    base = Path(tempfile.mkdtemp(prefix="gw-faults-"))
    postgres, redis = cluster.Postgres(base), cluster.RedisServer(base)
    ledger = TwilioLedger()
    with FakeProviderServer(ledger) as fake_twilio:
        postgres.start()
        redis.start()
        port = cluster.free_port()
        env = _environment(base, postgres, redis, fake_twilio.base_url, port)
        stack = Stack(base, postgres, redis, ledger, env, f"http://127.0.0.1:{port}")
        try:
            _prepare_database(env)
            _start_processes(stack, port)
            yield stack
        finally:
            for process in [stack.web, *stack.workers]:
                if process:
                    process.stop()
            redis.stop()
            postgres.stop()
            if not os.environ.get("KEEP_FAULT_LOGS"):       # README, Tests: kept for a look after a failure
                shutil.rmtree(base, ignore_errors=True)


def _environment(base: Path, postgres, redis, twilio_base: str, port: int) -> dict:
    import os

    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    return {**keep, **TEST_KEYS,
            "DATABASE_URL": postgres.url, "REDIS_URL": redis.url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "GATEWAY_INSTANCE_DIR": str(base / "instance"), "SPOOL_DIR": str(base / "spool"),
            "SMS_PROVIDER": "twilio", "TWILIO_API_BASE": twilio_base,
            # Faster than production so the suite takes minutes, through the operators' own knobs.
            "SWEEP_INTERVAL_SECONDS": "1", "SWEEP_GRACE_SECONDS": "3", "SEND_STUCK_SECONDS": "5",
            "WORKER_HEARTBEAT_SECONDS": "1", "DATABASE_CONNECT_TIMEOUT": "2",
            # 500 senders at 10 messages a second, each delivered up to 3 times: no number is a flood.
            "RATE_LIMIT_PER_NUMBER": "0"}


def _prepare_database(env: dict) -> None:
    for args in (("db", "upgrade"), ("config", "load", "config/forums.demo.yaml")):
        done = subprocess.run(cluster.gateway_command(*args), env=env, cwd=cluster.ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr


def _start_processes(stack: Stack, port: int) -> None:
    stack.web = cluster.Supervised("web", cluster.gunicorn_command(port), stack.env, stack.base / "web.log")
    stack.web.start()
    stack.workers = [cluster.Supervised(f"worker{n}", cluster.gateway_command("worker"), stack.env,
                                        stack.base / f"worker{n}.log") for n in (1, 2)]
    for worker in stack.workers:
        worker.start()
    cluster.wait_http(stack.web_url + "/healthz")
    time.sleep(1)          # workers connected and beating
