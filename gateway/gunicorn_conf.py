"""gunicorn settings for the web process: `gunicorn -c python:gateway.gunicorn_conf gateway.wsgi:app`.

Used by docker-compose, `gateway serve` and the ingest bench (bench/bench_ingest.py), which
compared them on 2 cores (bench/results/ingest.md): a webhook spends most of its time
waiting on PostgreSQL and Redis, so threads overlap those waits; sync workers served
half as many webhooks, and 2 processes x 8 threads beat 4 x 4 (fewer processes
contending for 2 cores, fewer database connections). With group commit (gateway/group_commit.py)
16 threads beat 8 and 32: more webhooks wait together, so each commit carries more of them
(2.8 vs 3.6 ms of CPU per webhook, about 475 vs 360 webhooks/s on 2 cores; 3 or 4 processes
did no better). Command-line flags override these.
"""
worker_class = "gthread"
workers = 2           # about one per core
threads = 16          # requests in flight per process, mostly waiting for their batch's commit
keepalive = 5         # providers reuse connections; sync workers close every one
timeout = 30
graceful_timeout = 20
