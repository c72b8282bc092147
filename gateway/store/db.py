"""Engine and session factory."""
from __future__ import annotations

import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

# INSERT … ON CONFLICT … RETURNING, the same statement on both databases we run on
# (SQLite >= 3.35). Lets the hot path skip savepoints and read-before-write.
_UPSERT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
POOL_TIMEOUT_SECONDS = 10


def sqlalchemy_url(url: str) -> str:
    """Accept the usual postgresql://user@host/db form and use the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, connect_timeout: int = 5) -> Engine:
    url = sqlalchemy_url(url)
    # hide_parameters: a database error's message would otherwise quote the statement's values
    # (report text, encrypted numbers), and such messages reach logs with their tracebacks.
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pool_size: with a smaller pool every burst opened and closed "overflow" connections, a new
    # server process each time. A gunicorn process serves more requests at once than that
    # (gateway/gunicorn_conf.py), but SMS webhooks share the ingest writer's connection.
    # pool_timeout, connect_timeout: a request that cannot get a connection in time spools its
    # message (is_unavailable), and must do so before the provider gives up (Twilio: 15 s);
    # libpq would wait forever by default.
    engine = create_engine(url, pool_size=17, max_overflow=8, pool_timeout=POOL_TIMEOUT_SECONDS,
                           connect_args={"connect_timeout": connect_timeout}, hide_parameters=True)
    _ping_when_idle(engine)
    cache_batch_statements()
    return engine


# The largest multi-row INSERT the ingest writer sends at the default INGEST_BATCH_SIZE: 64 rows of
# at most 16 columns; its text stays under 32 KiB.
BATCH_STATEMENT_PARAMS, BATCH_STATEMENT_LENGTH = 64 * 16, 32 * 1024


def cache_batch_statements() -> bool:
    """Let psycopg cache its parse of the group-commit batch statements, too.

    psycopg turns each statement's %(name)s placeholders into $n with a regular-expression
    pass over the whole text, and remembers the result (an LRU of 128) only for statements
    of at most 50 parameters and 4 KiB. A 16-row INSERT has 160 and costs about 0.26 ms
    to parse, every time: 15 % of the webhook's CPU under load (bench/ingest-notes.md).
    The cache stays psycopg's LRU of 128 statements: a few MB at worst with batch-sized texts
    (peak RSS per web worker unchanged in the bench, 111 MB).
    The limits are module constants with no public setter; if a psycopg release drops them,
    nothing breaks and this returns False, and tests/gateway/test_group_commit.py fails to say so.
    """
    from psycopg import _queries

    if not hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS") or not hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH"):
        return False
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, BATCH_STATEMENT_PARAMS)
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, BATCH_STATEMENT_LENGTH)
    return True


IDLE_PING_SECONDS = 10


def _ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping, but only for a connection that sat idle in the pool for a while.

    pool_pre_ping costs a round trip on every checkout, one in eight of the webhook's.
    A connection in steady use needs no ping: if the server went away meanwhile, the
    statement fails, SQLAlchemy sees a disconnect and invalidates the whole pool, and the
    request is spooled (is_unavailable) instead of stored at once: durable either way.
    """
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("connection lost while idle in the pool") from exc


def is_unavailable(error: BaseException) -> bool:
    """True when the database could not be reached or dropped the connection.

    Not for errors about the data (integrity, bad values): those would fail again on replay.
    """
    if isinstance(error, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the embedded worker thread read while the web thread writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


Model = TypeVar("Model")


def hot_statement(build: Callable) -> Callable[[Session], object]:
    """Decorate `build(insert)` to build a hot-path statement once per database dialect.

    `insert` is that dialect's INSERT (it has on_conflict_do_nothing/update). Executed with
    a dict of parameters, the same statement object is reused, so SQLAlchemy neither
    rebuilds it nor recomputes its cache key on every request.
    """
    by_dialect = cache(lambda name: build(_UPSERT_INSERT[name]))
    return lambda session: by_dialect(session.get_bind().dialect.name)


def attach(session: Session, model: type[Model], row) -> Model:
    """The ORM object for a row just written with a Core statement, as if loaded by a query.

    Changes to it are flushed like any loaded object's. If the session already holds that
    row, the held object is refreshed from `row` and returned (an identity map keeps one).
    """
    held = session.identity_map.get(session.identity_key(model, row.id))
    if held is not None:
        for name, value in row._mapping.items():
            set_committed_value(held, name, value)
        return held
    instance = model(**row._mapping)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session:
        with session.begin():
            yield session
