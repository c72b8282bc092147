"""What one USSD hop costs the web process: CPU, SQL statements and Redis commands, by hop kind.

    DATABASE_URL=postgresql://… REDIS_URL=redis://… python bench/profile_ussd.py [-n 300] [--pyinstrument]

Plays the benchmark's 10-hop French journeys (bench_ussd.JOURNEY, a new number each) through
the Flask test client (no HTTP server, one hop at a time) into the real database and Redis,
and prints per hop: CPU time of this process and each kind of round trip, for all hops and
for dial, menu and submit hops apart. With --pyinstrument, a call tree of the measured part.
Like the benchmark, it empties the database and the Redis database it is given.
"""
from __future__ import annotations

import argparse
import collections
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_ussd import JOURNEY, PATH, TOKEN, reset_stores  # noqa: E402
from bench.profile_ingest import count_round_trips  # noqa: E402


def journey_hops(number: int) -> list[tuple[str, dict]]:
    """(kind, form) for each hop of one journey, `text` growing as Africa's Talking builds it."""
    form = {"sessionId": f"ATUid_prof{number}", "serviceCode": "*384*123#",
            "phoneNumber": f"+22376{number % 1_000_000:06d}", "networkCode": "61002"}
    kinds = ["dial"] + ["menu"] * (len(JOURNEY) - 1) + ["submit"]
    return [(kind, {**form, "text": "*".join(JOURNEY[:answered])}) for answered, kind in enumerate(kinds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="journeys measured (after 20 to warm up)")
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL: both are emptied")
    reset_stores(database_url, redis_url)
    os.environ.update({"AT_WEBHOOK_TOKEN": TOKEN, "SMS_PROVIDER": "console",
                       "GATEWAY_INSTANCE_DIR": tempfile.mkdtemp(prefix="profile-ussd-")})
    from gateway import create_app

    app = create_app()
    logging.disable(logging.INFO)      # a line per report would drown the figures
    client = app.test_client()
    counters = {kind: collections.Counter() for kind in ("dial", "menu", "submit")}
    trips: collections.Counter = collections.Counter()
    count_round_trips(app.extensions["gateway"].engine, trips)
    cpu_by_kind: dict[str, float] = collections.defaultdict(float)
    hops_by_kind: collections.Counter = collections.Counter()

    def play(numbers, measure: bool) -> None:
        for number in numbers:
            for kind, form in journey_hops(number):
                trips.clear()
                started = time.process_time()
                response = client.post(PATH, data=form)
                if measure:
                    cpu_by_kind[kind] += time.process_time() - started
                    hops_by_kind[kind] += 1
                    counters[kind].update(trips)
                assert response.status_code == 200 and response.get_data(as_text=True)[:4] in ("CON ", "END ")
            assert response.get_data(as_text=True).startswith("END "), response.get_data(as_text=True)

    play(range(1, 21), measure=False)
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.0005)
        profiler.start()
    play(range(21, 21 + args.n), measure=True)
    if profiler:
        profiler.stop()
        print(profiler.output_text(color=False, unicode=False))
    hops = sum(hops_by_kind.values())
    print(f"{sum(cpu_by_kind.values()) / hops * 1000:.3f} ms CPU per hop over {hops} hops "
          f"(load average {os.getloadavg()[0]:.1f})")
    for kind, count in hops_by_kind.items():
        per_hop = {name: round(n / count, 2) for name, n in sorted(counters[kind].items())}
        print(f"  {kind:6} {cpu_by_kind[kind] / count * 1000:.3f} ms CPU, round trips per hop: {per_hop}")


if __name__ == "__main__":
    main()
