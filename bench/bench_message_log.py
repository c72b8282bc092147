"""Benchmark: the staff message log page over 1,000,000 messages in PostgreSQL.

Goal (issue 6): GET /staff/messages answers in <= 150 ms at p95, on the first page, deep
pages and filtered/searched pages alike. Baseline in the same run: naive OFFSET pagination
(the same query with OFFSET n, plus the COUNT(*) a page-numbered pager needs), timed as SQL
only -- it would be slower still with the page rendered around it.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/gw_console python bench/bench_message_log.py

The database's public schema is DROPPED and rebuilt: point it at a scratch database.
Prints a markdown table and writes bench/results/message_log.md.
"""
from __future__ import annotations

import base64
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import fakeredis
from cryptography.fernet import Fernet
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway import create_app  # noqa: E402
from gateway.auth import hash_password  # noqa: E402
from gateway.config import load_config  # noqa: E402
from gateway.runtime import build_runtime  # noqa: E402
from gateway.store.migrate import upgrade  # noqa: E402
from gateway.store.staff import create_staff  # noqa: E402

MESSAGES = int(os.environ.get("BENCH_MESSAGES", 1_000_000))
REPORTS = MESSAGES // 5
REPORTERS = 1000
RUNS = int(os.environ.get("BENCH_RUNS", 60))
NAIVE_RUNS = 10                      # OFFSET pages take seconds each: fewer runs tell the story
GOAL_MS = 150
PASSWORD = "bench password 123"
RESULTS = ROOT / "bench" / "results" / "message_log.md"


def reset_schema(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def load(runtime) -> None:
    """Reporters with real encrypted numbers; reports and messages by generate_series in SQL."""
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    rows = [{"p": f"{i:064x}", "n": runtime.pseudonymiser.encrypt(f"+2237{i:07d}"), "t": now} for i in range(REPORTERS)]
    with runtime.engine.begin() as db:
        # bulk-load practice: build the trigram index once after the load, not row by row
        db.execute(text("DROP INDEX ix_messages_body_trgm"))
        db.execute(text("INSERT INTO reporters (pseudonym, number_encrypted, language, opted_out, created_at, "
                        "updated_at) VALUES (:p, :n, 'fr', false, :t, :t)"), rows)
        db.execute(text(f"""
            INSERT INTO reports (reference, channel, reporter_id, language, text, details, category, confidence,
                                 urgency, places, region_pcode, cercle_pcode, status, created_at, updated_at)
            SELECT upper(to_hex(1000000 + g)), 'sms', 1 + g % {REPORTERS}, 'fr', 'Signalement ' || g, '{{}}',
                   'resource_conflict', 0.8, 'normal', '[]', 'ML01', 'ML0104', 'routed',
                   :t - make_interval(secs => ({REPORTS} - g) * 5), :t
            FROM generate_series(1, {REPORTS}) AS g"""), {"t": now})
        db.execute(text(f"""
            INSERT INTO messages (direction, channel, provider, provider_message_id, kind, reporter_id,
                                  coordinator_id, report_id, body, status, failure_reason, attempts,
                                  created_at, updated_at)
            SELECT CASE WHEN g % 5 = 0 THEN 'in' ELSE 'out' END, 'sms', 'twilio', 'SM' || g,
                   CASE g % 5 WHEN 0 THEN 'report' WHEN 1 THEN 'receipt' ELSE 'alert' END,
                   CASE WHEN g % 5 IN (0, 1) THEN 1 + g % {REPORTERS} END,
                   CASE WHEN g % 5 > 1 THEN (SELECT min(id) FROM coordinators) END,
                   1 + (g / 5) % {REPORTS},
                   CASE WHEN g % 1000 = 7 THEN 'Bagarre entre orpailleurs a Kenieba ' || g
                        ELSE 'Message numero ' || g || ' sur la situation au marche' END,
                   CASE WHEN g % 5 = 0 THEN 'received' WHEN g % 100 = 3 THEN 'failed' ELSE 'delivered' END,
                   CASE WHEN g % 100 = 3 THEN 'provider error 30003' END, 1,
                   :t - make_interval(secs => {MESSAGES} - g), :t
            FROM generate_series(1, {MESSAGES}) AS g"""), {"t": now})
        db.execute(text("CREATE INDEX ix_messages_body_trgm ON messages USING gin (body gin_trgm_ops)"))
        db.execute(text("ANALYZE"))


def signed_in_client(app, runtime):
    with runtime.transaction() as db:
        create_staff(db, email="bench@example.ml", password_hash=hash_password(PASSWORD), role="admin",
                     forum_ids=[], now=runtime.now())
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/staff/login", data={"email": "bench@example.ml", "password": PASSWORD, "csrf_token": token})
    return client


def timed(action, runs: int = RUNS) -> dict:
    for _ in range(3):
        action()                                    # warm caches and the connection pool
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1], "max": samples[-1]}


def page_cases(client) -> list[tuple[str, str]]:
    middle, near_end = MESSAGES // 2, 1000
    return [
        ("first page", "/staff/messages"),
        (f"keyset page at row {MESSAGES - middle:,}", f"/staff/messages?before={middle}"),
        (f"keyset page at row {MESSAGES - near_end:,}", f"/staff/messages?before={near_end}"),
        ("status = failed (1 %)", "/staff/messages?status=failed"),
        ("status = failed, deep", f"/staff/messages?status=failed&before={middle}"),
        ("out + alert", "/staff/messages?direction=out&kind=alert"),
        ("search: rare word (0.1 %)", "/staff/messages?q=orpailleurs"),
        ("search: a report reference", "/staff/messages?q=" + format(1000000 + REPORTS // 2, "X")),
        ("date range: one day", "/staff/messages?from=2026-10-25&to=2026-10-25"),
        ("date range: one day, next page", f"/staff/messages?from=2026-10-25&to=2026-10-25&before={MESSAGES // 2}"),
    ]


NAIVE_SQL = """
SELECT m.id, m.created_at, m.direction, m.kind, m.status, m.failure_reason, m.body, r.reference, c.name, p.pseudonym
FROM messages m LEFT JOIN reports r ON r.id = m.report_id LEFT JOIN coordinators c ON c.id = m.coordinator_id
LEFT JOIN reporters p ON p.id = m.reporter_id ORDER BY m.id DESC OFFSET :offset LIMIT 50"""


def naive_cases(engine) -> list[tuple[str, dict]]:
    def run(offset: int):
        def action():
            with engine.connect() as db:
                db.execute(text("SELECT count(*) FROM messages")).scalar()     # the "page N of M" pager
                db.execute(text(NAIVE_SQL), {"offset": offset}).all()
        return action
    depths = [("first page", 0), (f"OFFSET page at row {MESSAGES // 2:,}", MESSAGES // 2),
              (f"OFFSET page at row {MESSAGES - 1000:,}", MESSAGES - 1000)]
    return [(label, timed(run(offset), NAIVE_RUNS)) for label, offset in depths]


def report(results: list[tuple[str, str, dict]]) -> str:
    lines = [f"| what | p50 ms | p95 ms | max ms | goal p95 <= {GOAL_MS} ms |", "|---|---:|---:|---:|---|"]
    for kind, label, r in results:
        verdict = ("met" if r["p95"] <= GOAL_MS else "MISSED") if kind == "page" else "baseline"
        lines.append(f"| {label} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | {verdict} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{platform.node()}: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _loaded(runtime) -> bool:
    with runtime.engine.connect() as db:
        try:
            return db.execute(text("SELECT max(id) FROM messages")).scalar() == MESSAGES
        except Exception:                           # no schema yet
            return False


def fresh_load(runtime, url: str) -> None:
    from gateway.forums_file import parse_forums_file
    from gateway.store.forums import load_forums

    reset_schema(runtime.engine)
    upgrade(url)
    with runtime.transaction() as db:
        load_forums(db, parse_forums_file((ROOT / "config" / "forums.demo.yaml").read_text(encoding="utf-8")))
    load(runtime)


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a scratch PostgreSQL database")
    env = {"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 32, "PUBLIC_BASE_URL": "https://bench.example",
           "PSEUDONYM_KEY": base64.urlsafe_b64encode(b"b" * 32).decode(), "NUMBER_KEY": Fernet.generate_key().decode()}
    runtime = build_runtime(load_config(env), redis=fakeredis.FakeRedis())
    if os.environ.get("BENCH_REUSE") and _loaded(runtime):
        print("reusing the loaded data")
        with runtime.engine.begin() as db:
            db.execute(text("DELETE FROM staff_users"))
    else:
        started = time.perf_counter()
        fresh_load(runtime, url)
        print(f"loaded {MESSAGES:,} messages, {REPORTS:,} reports in {time.perf_counter() - started:.0f} s")
    app = create_app(runtime=runtime)
    client = signed_in_client(app, runtime)
    loadavg_at_start = os.getloadavg()[0]
    results = []
    for label, path in page_cases(client):
        assert client.get(path).status_code == 200, path
        results.append(("page", f"keyset page: {label}", timed(lambda path=path: client.get(path))))
    results += [("naive", f"naive SQL only: {label}", r) for label, r in naive_cases(runtime.engine)]
    table = report(results)
    print(table)
    load_before, load_after = loadavg_at_start, os.getloadavg()[0]
    RESULTS.write_text(f"# Message log page, {MESSAGES:,} messages in PostgreSQL\n\n"
                       f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {machine()}, {RUNS} runs each "
                       f"({NAIVE_RUNS} for the OFFSET baseline); load average {load_before:.1f} at the start "
                       f"and {load_after:.1f} at the end (the machine is shared), "
                       f"through the Flask app (test client: routing, session, audit write, query, template).\n\n"
                       f"{table}\n")


if __name__ == "__main__":
    main()
