"""Trends queries and jobs against a realistic volume of reports.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/gw_trends python bench/bench_trends.py [--sizes 10000 100000]

THE DATABASE'S SCHEMA IS DROPPED AND REBUILT (PostgreSQL) or a temporary SQLite file is used:
give it a dedicated database. For each size, N classified reports spread over 12 weeks, the 50
cercles and the 9 categories (one reporter per three reports) are inserted, then each operation
is timed (wall clock, median of --repeat runs, the database included) beside a baseline measured
in the same run: a plain COUNT(*) over the same 12 weeks, the floor of any query that reads them.
Goal: the hourly check and the page stay well under a second at 100,000 reports.
Prints a markdown table and writes bench/results/trends.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import fakeredis
from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_classify import machine  # noqa: E402
from gateway.categories import CATEGORIES  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.forums_file import parse_forums_file  # noqa: E402
from gateway.runtime import build_runtime  # noqa: E402
from gateway.store.forums import load_forums  # noqa: E402
from gateway.store.migrate import upgrade  # noqa: E402
from gateway.store.models import Base, Report, Reporter  # noqa: E402
from gateway.trends import areas  # noqa: E402
from gateway.trends.service import trends_csv, trends_page  # noqa: E402
from workers.trends.run import check_trends, send_digests  # noqa: E402

RESULTS = ROOT / "bench" / "results"
WEEKS = 12


def fresh_runtime(url: str):
    if not url.startswith("sqlite"):
        from gateway.store.db import make_engine

        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    env = {"DATABASE_URL": url, "GATEWAY_INSTANCE_DIR": tempfile.mkdtemp(prefix="bench-trends-")}
    return build_runtime(load_config(env), redis=fakeredis.FakeRedis())


def fill(runtime, size: int, rng: random.Random) -> None:
    now = runtime.now()
    cercles = [p for p in areas.names() if areas.level(p) == "cercle"]
    with runtime.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        load_forums(session, parse_forums_file((ROOT / "config" / "forums.demo.yaml").read_text(encoding="utf-8")))
        session.execute(insert(Reporter), [dict(pseudonym=f"{i:064x}", language="fr", opted_out=False,
                                                created_at=now, updated_at=now) for i in range(size // 3 + 1)])
        first = session.scalar(select(func.min(Reporter.id)))
        rows = []
        for i in range(size):
            cercle = rng.choice(cercles)
            at = now - timedelta(seconds=rng.randrange(WEEKS * 7 * 86400))
            rows.append(dict(reference=f"B{i:010d}", channel="sms", reporter_id=first + i // 3, language="fr",
                             text=None, details={}, category=rng.choice(CATEGORIES), places=[], status=rng.choice(
                                 ("routed", "acknowledged", "closed")), region_pcode=cercle[:4], cercle_pcode=cercle,
                             created_at=at, updated_at=at))
        for start in range(0, size, 5000):
            session.execute(insert(Report), rows[start:start + 5000])
    if runtime.engine.dialect.name == "postgresql":   # as autovacuum would have by then
        with runtime.engine.begin() as connection:
            connection.execute(text("ANALYZE reports"))


def timed(action, repeat: int) -> float:
    """Median wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def operations(runtime):
    def in_session(function, **kwargs):
        def run():
            with runtime.transaction() as session:
                function(session, runtime.now(), **kwargs)
        return run

    def count_12_weeks():
        with runtime.transaction() as session:
            session.scalar(select(func.count()).select_from(Report).where(
                Report.created_at >= runtime.now() - timedelta(weeks=WEEKS)))

    return [("baseline: COUNT(*) of 12 weeks", count_12_weeks),
            ("spike check (9 windows + 7 days, detect, record)", lambda: check_trends(runtime)),
            ("weekly digests (3 working groups)", lambda: send_digests(runtime)),
            ("HXL export, 12 weeks", in_session(trends_csv, weeks=WEEKS, hxl=True)),
            ("trends page, 12 weeks (SVG)", in_session(trends_page))]


def render(rows: list[dict], info: dict, backend: str) -> str:
    lines = ["# Trends benchmark", "", f"- date: {info['date']}", f"- machine: `{info['uname']}`",
             f"- CPU: {info['cpu']}, load average at the start: {info['load']} (a shared 2-core machine)",
             f"- Python {info['python']}, database: {backend}; wall time, median", "",
             "| reports | operation | ms | × baseline |", "|---:|---|---:|---:|"]
    lines += [f"| {r['reports']} | {r['operation']} | {r['ms']:.1f} | {r['ratio']:.1f} |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp(prefix='bench-trends-')}/bench.sqlite"
    runtime = fresh_runtime(url)
    rows = []
    for size in args.sizes:
        fill(runtime, size, random.Random(size))
        measured = [(name, timed(action, args.repeat)) for name, action in operations(runtime)]
        floor = measured[0][1]
        rows += [dict(reports=size, operation=name, ms=round(ms, 1), ratio=round(ms / floor, 1)) for name, ms in measured]
    info = {**machine(), "load": load}
    report = render(rows, info, url.split(":")[0])
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "trends.md").write_text(report, encoding="utf-8")
    (RESULTS / "trends.json").write_text(json.dumps({"machine": info, "runs": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
