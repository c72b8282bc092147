"""The process's wiring: configuration, database, queues, providers, clock.

Built once per process (create_app for the web, `gateway worker` for workers) and
installed so that RQ jobs, which receive only ids, can find it.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import Config, load_config
from gateway.privacy import Pseudonymiser
from gateway.queues import Queues
from gateway.store.db import make_engine, make_session_factory, transaction


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    redis: Redis
    queues: Queues
    pseudonymiser: Pseudonymiser
    clock: Callable[[], datetime] = utcnow
    _senders: dict = field(default_factory=dict)
    _throttle: object = None
    _ingest_writer: object = field(default=None, init=False)   # per runtime: replace() makes a new one

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def sender(self, name: str | None = None):
        from gateway.providers import make_sender

        name = name or self.config.sms_provider
        if name not in self._senders:
            self._senders[name] = make_sender(name, self.config)
        return self._senders[name]

    def throttle(self):
        """Shared send limits (rate per provider, loop guard), built on first use."""
        from gateway.throttle import Throttle

        if self._throttle is None:
            self._throttle = Throttle(self.redis, self.config)
        return self._throttle

    def ingest_writer(self):
        """The process's group-commit writer for inbound SMS (gateway.group_commit), built on first use."""
        from gateway.group_commit import GroupCommit

        if self._ingest_writer is None:
            self._ingest_writer = GroupCommit(self, self.config.ingest_batch_size)
        return self._ingest_writer


def connect_redis(config: Config) -> Redis:
    if config.embedded:
        from gateway.embedded import embedded_redis

        return embedded_redis()
    return redis_from_url(config.redis_url)


def redis_from_url(url: str) -> Redis:
    """Short timeouts and a single retry: a webhook must still answer fast when Redis is down."""
    return Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2,
                          retry=Retry(NoBackoff(), 1), retry_on_timeout=False)


def build_runtime(config: Config | None = None, *, redis: Redis | None = None,
                  clock: Callable[[], datetime] = utcnow) -> Runtime:
    config = config or load_config()
    engine = make_engine(config.database_url, config.database_connect_timeout)
    redis = redis if redis is not None else connect_redis(config)
    return Runtime(config=config, engine=engine, sessions=make_session_factory(engine), redis=redis,
                   queues=Queues(redis), pseudonymiser=Pseudonymiser(config.pseudonym_key, config.number_key),
                   clock=clock)


_current: Runtime | None = None


def install(runtime: Runtime) -> Runtime:
    global _current
    _current = runtime
    return runtime


def current() -> Runtime:
    """The installed runtime, or one built from the environment (a fresh worker process)."""
    return _current if _current is not None else install(build_runtime())
