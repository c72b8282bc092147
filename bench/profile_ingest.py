"""What one inbound SMS costs the web process: CPU, SQL statements and Redis commands.

    DATABASE_URL=postgresql://… REDIS_URL=redis://… python bench/profile_ingest.py [-n 400] [--pyinstrument]

Posts signed Twilio webhooks through the Flask test client (no HTTP server, one at a
time) into the real database and Redis, and prints per request: CPU time of this
process, wall time, and each kind of round trip. The counts do not depend on the
machine's load; the times do. With --pyinstrument, a call tree of the measured part.
Like the benchmark, it wipes the database and the Redis database it is given.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.client import Pipeline, Redis  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.bench_ingest import AUTH_TOKEN, gateway_env, reset_stores  # noqa: E402
from bench.ingestkit.corpus import BODIES, sender_pool, signed_form  # noqa: E402


def count_round_trips(engine, counter: collections.Counter) -> None:
    """Count statements (and BEGIN/COMMIT, pool pings) on the engine, commands on Redis."""
    event.listen(engine, "before_cursor_execute", lambda *a: counter.update([f"sql {a[2].split()[0]}"]))
    event.listen(engine, "begin", lambda *a: counter.update(["sql BEGIN"]))
    event.listen(engine, "commit", lambda *a: counter.update(["sql COMMIT"]))
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: (counter.update(["sql ping"]), ping(connection))[1]
    execute_command, pipeline_execute = Redis.execute_command, Pipeline.execute

    def counted_command(self, *args, **options):
        counter.update([f"redis {args[0]}"])
        return execute_command(self, *args, **options)

    def counted_pipeline(self, *args, **options):
        counter.update(["redis pipeline"])
        return pipeline_execute(self, *args, **options)

    Redis.execute_command, Pipeline.execute = counted_command, counted_pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=400, help="requests measured (after 50 to warm up)")
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    env = gateway_env(5000, "http://127.0.0.1:9", Path("/tmp/profile-ingest"))
    reset_stores(env)
    os.environ.update(env)
    from gateway import create_app

    app = create_app()
    runtime = app.extensions["gateway"]
    counter: collections.Counter = collections.Counter()
    count_round_trips(runtime.engine, counter)
    client = app.test_client()
    pool = sender_pool(1000, seed=3)
    requests = [signed_form(env["PUBLIC_BASE_URL"], AUTH_TOKEN, f"SMP{n:012d}", pool[n % len(pool)],
                            BODIES[n % len(BODIES)]) for n in range(args.n + 50)]

    def post(batch) -> None:
        for signature, body in batch:
            response = client.post("/webhooks/twilio/sms", data=body, headers={"X-Twilio-Signature": signature},
                                   content_type="application/x-www-form-urlencoded")
            assert response.status_code == 200, response.status_code

    post(requests[:50])
    counter.clear()
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.0005)
        profiler.start()
    cpu, wall = time.process_time(), time.perf_counter()
    post(requests[50:])
    cpu, wall = (time.process_time() - cpu) / args.n * 1000, (time.perf_counter() - wall) / args.n * 1000
    if profiler:
        profiler.stop()
        print(profiler.output_text(color=False, unicode=False))
    per_request = {name: round(count / args.n, 2) for name, count in sorted(counter.items())}
    sql = sum(v for k, v in per_request.items() if k.startswith("sql"))
    redis = sum(v for k, v in per_request.items() if k.startswith("redis"))
    print(f"{cpu:.2f} ms CPU and {wall:.2f} ms wall per request (load average {os.getloadavg()[0]:.1f})")
    print(f"round trips per request: {sql:g} SQL, {redis:g} Redis: {per_request}")


if __name__ == "__main__":
    main()
