"""Shared fixtures.

Tests run against real PostgreSQL and Redis when DATABASE_URL / REDIS_URL point at them
(CI always does), and against a temporary SQLite file and fakeredis otherwise. The
schema always comes from the real Alembic migrations.
"""
from __future__ import annotations

import base64
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import fakeredis
import pytest
from cryptography.fernet import Fernet
from hypothesis import settings as hypothesis_settings
from redis import Redis
from rq import SimpleWorker
from rq.scheduler import RQScheduler
from sqlalchemy import text
from werkzeug.serving import make_server

from gateway import create_app, metrics
from gateway.config import load_config
from gateway.runtime import build_runtime
from gateway.store.migrate import upgrade
from gateway.store.models import Base

# CI is a gate: a red run loses the whole change, so a rare example must not decide it by chance.
# There (.ci/run) every property test tries the same examples on every run; `make test` on a
# workstation draws new ones each time, which is how they keep finding things.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TEST_KEYS = {
    "SECRET_KEY": "test-secret-key-" + "x" * 32,
    "PSEUDONYM_KEY": base64.urlsafe_b64encode(b"p" * 32).decode(),
    "NUMBER_KEY": Fernet.generate_key().decode(),
    "TWILIO_AUTH_TOKEN": "test-twilio-token",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_FROM": "+15005550006",
    "AT_WEBHOOK_TOKEN": "test-at-token",
    "PUBLIC_BASE_URL": "https://gateway.example.ml",
}
DEMO_FORUMS = Path(__file__).resolve().parent.parent / "config" / "forums.demo.yaml"


class FakeClock:
    """The process-edge clock: tests move time forward instead of sleeping."""

    def __init__(self):
        self.current = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += timedelta(**delta)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    if not url.startswith("sqlite"):
        _reset_database(url)
    upgrade(url)
    return url


def _reset_database(url: str) -> None:
    from gateway.store.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def redis_connection():
    url = os.environ.get("REDIS_URL")
    connection = Redis.from_url(url) if url else fakeredis.FakeRedis(server=fakeredis.FakeServer())
    # Counts a test left in this process's memory (metrics.record_soon) would otherwise reach
    # Redis within a second, in the next test: written now, they go with the wipe.
    metrics.flush()
    connection.flushdb()
    yield connection
    metrics.flush()
    connection.flushdb()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config_env(database_url, tmp_path) -> dict[str, str]:
    """The environment a test gateway reads; tests may change it before `runtime` is built."""
    env = dict(TEST_KEYS, DATABASE_URL=database_url, GATEWAY_INSTANCE_DIR=str(tmp_path / "instance"))
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return env


@pytest.fixture
def config_overrides() -> dict:
    return {"send_backoff_seconds": (0, 0, 0)}   # retries run at once; RQ's own delays are not under test


@pytest.fixture
def runtime(config_env, config_overrides, redis_connection, clock):
    config = load_config(config_env, **config_overrides)
    rt = build_runtime(config, redis=redis_connection, clock=clock)
    yield rt
    _empty_tables(rt.engine)
    rt.engine.dispose()


def _empty_tables(engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(table.name for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def app(runtime):
    return create_app(runtime=runtime)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_url(app):
    """The test app served over real HTTP on a free port, for a browser or a CLI to talk to."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def forums(runtime):
    """The demo forums file, loaded as an operator would."""
    from gateway.forums_file import parse_forums_file
    from gateway.store.forums import load_forums

    with runtime.transaction() as session:
        load_forums(session, parse_forums_file(DEMO_FORUMS.read_text(encoding="utf-8")))


@pytest.fixture
def run_jobs(runtime):
    """Drain the queues in this thread, as a worker would, including due retries."""
    def drain() -> None:
        worker = SimpleWorker(runtime.queues.all(), connection=runtime.redis)
        scheduler = RQScheduler(runtime.queues.all(), connection=runtime.redis)
        for _ in range(10):
            scheduler.acquire_locks()
            scheduler.enqueue_scheduled_jobs()
            worker.work(burst=True, logging_level="WARNING")
            if not any(runtime.queues.depth().values()):
                return
    return drain


@pytest.fixture
def fake_at():
    """A local stand-in for Africa's Talking's REST API (use with tests.helpers.at_config)."""
    from tests.fakes.provider_server import FakeProviderServer, at_sent

    with FakeProviderServer(at_sent) as server:
        yield server


@pytest.fixture
def fake_twilio(clock):
    """A local fake of Twilio's REST API (creates and lists); point TWILIO_API_BASE at it."""
    from tests.fakes.provider_server import FakeProviderServer, TwilioLedger

    with FakeProviderServer(TwilioLedger(clock)) as server:
        yield server


@pytest.fixture
def fake_orange():
    """A local fake of the Orange SMS API; `fake_orange.api` scripts it (tests.fakes.orange_api)."""
    from tests.fakes.orange_api import OrangeApi
    from tests.fakes.provider_server import FakeProviderServer

    api = OrangeApi()
    with FakeProviderServer(api) as server:
        server.api = api
        yield server
