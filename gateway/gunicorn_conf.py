"""gunicorn settings for the web process: `gunicorn -c python:gateway.gunicorn_conf gateway.wsgi:app`.

Used by docker-compose, `gateway serve` and the ingest bench (bench/bench_ingest.py),
which measured the choice on 2 cores (bench/results/ingest.md). Command-line flags
override any of these.
"""
worker_class = "gthread"
workers = 4
threads = 4
keepalive = 5         # providers reuse connections; a sync worker would close each one
timeout = 30
graceful_timeout = 20
