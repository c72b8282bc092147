"""gunicorn settings for the web process: `gunicorn -c python:gateway.gunicorn_conf gateway.wsgi:app`.

Used by docker-compose, the Dockerfile, `gateway serve`, the process and fault tests, and the
benches, which compared them on 2 cores (bench/ingest-notes.md, bench/results/).

gevent workers, not threads. Under a flood each process's ingest writer (gateway/group_commit.py)
is the serial part: it stores a batch, and the batch's webhooks wait for it. With gthread
workers it competed for the GIL with 16 request threads after every round trip to PostgreSQL
or Redis: about 25 ms of wall time per batch for 5 ms of its own CPU. Greenlets switch only
when one waits on the network, so the writer runs as soon as its answer is there. Ingest bench
on 2 cores, 32 connections: 1,090 against 664 webhooks/s, p99 80 against 120 ms, 1.34 against
1.95 ms of CPU per webhook (bench/ingest-notes.md, fifth pass). USSD hops and webhooks at a
steady 100/s cost the same either way, within the host's noise.

gevent patches the standard library when the worker starts (psycopg, redis-py and SQLAlchemy's
pool support it), after gunicorn has imported this module: the `gateway` package imports
nothing heavy at the top for that reason. No request computes for long, so none keeps the
other greenlets of its process waiting.
"""
worker_class = "gevent"
workers = 2                  # about one per core
# Requests in flight per process. An SMS webhook waits for its batch's commit without a
# database connection of its own; a USSD hop or a delivery callback borrows one from the pool
# (gateway/store/db.py). The bound keeps memory in check; further connections wait in the
# listen backlog.
worker_connections = 256
keepalive = 5                # providers reuse connections
timeout = 30
graceful_timeout = 20
