"""Faults under a steady load of signed webhooks, against the real processes (DESIGN §5).

Each scenario sends its own messages, injects one fault, waits for the system to settle,
then checks: every request answered 200 with a receipt; every accepted message stored
exactly once, under the reference its receipt gave; every report processed; every alert
handed to (fake) Twilio exactly once. The counts go to the end-of-run summary.
"""
from __future__ import annotations

import time
import urllib.request
from collections import Counter

import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from tests.conftest import TEST_KEYS
from tests.faults.conftest import TALLY
from tests.faults.load import Load

pytestmark = pytest.mark.faults
SETTLE_SECONDS = 90


def run_load(stack, seconds: float, fault=None, at: float = 0, copies: int = 1) -> Load:
    load = Load(stack.web_url, TEST_KEYS["TWILIO_AUTH_TOKEN"], rate=10, copies=copies,
                max_seconds=seconds + 5).start()
    time.sleep(at)
    if fault:
        fault()
        TALLY["faults injected"] += 1
    time.sleep(max(0.0, seconds - at))
    load.stop()
    TALLY["requests sent"] += load.requests
    return load


def settle(stack, load: Load) -> dict:
    """Wait until every message is stored and processed and every alert sent; then count."""
    sids = sorted({sent.sid for sent in load.sent})
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        state = observe(stack, sids)
        if state["settled"] or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def observe(stack, sids: list[str]) -> dict:
    rows = stack.sql("SELECT m.provider_message_id, r.reference, r.status FROM messages m "
                     "JOIN reports r ON r.id = m.report_id WHERE m.direction = 'in' "
                     "AND m.provider_message_id = ANY(:sids)", sids=sids)
    alerts = stack.sql("SELECT c.phone, m.body, m.provider_message_id FROM alerts a "
                       "JOIN messages m ON m.id = a.message_id JOIN coordinators c ON c.id = a.coordinator_id "
                       "JOIN reports r ON r.id = a.report_id JOIN messages i ON i.report_id = r.id "
                       "AND i.direction = 'in' WHERE i.provider_message_id = ANY(:sids)", sids=sids)
    unsent = [alert for alert in alerts if alert.provider_message_id is None]
    waiting = [row for row in rows if row.status == "received"]
    return {"rows": rows, "alerts": alerts, "settled": len({r.provider_message_id for r in rows}) == len(sids)
            and not waiting and not unsent and stack.spool_entries() == 0}


def check(stack, load: Load, state: dict) -> None:
    answers = Counter(sent.status for sent in load.sent)
    assert answers == Counter({200: len(load.sent)}), f"answers {answers}\n{stack.log_tail()}"
    stored = Counter(row.provider_message_id for row in state["rows"])
    receipts = {sent.sid: sent.reference for sent in load.sent}
    lost = [sid for sid in receipts if stored[sid] == 0]
    twice = [sid for sid, n in stored.items() if n > 1]
    wrong_reference = [row for row in state["rows"] if receipts[row.provider_message_id] != row.reference]
    posts = Counter((m["to"], m["body"]) for m in stack.ledger.created)
    alert_dupes = [alert for alert in state["alerts"] if posts[(alert.phone, alert.body)] > 1]
    alert_lost = [alert for alert in state["alerts"] if posts[(alert.phone, alert.body)] == 0]
    TALLY["reports accepted"] += len(receipts)
    TALLY["reports lost"] += len(lost) + len(alert_lost)
    TALLY["duplicates"] += len(twice) + len(alert_dupes)
    assert state["settled"], f"not settled in {SETTLE_SECONDS} s\n{stack.log_tail()}"
    assert not lost and not twice and not wrong_reference
    assert not alert_dupes and not alert_lost
    assert state["alerts"], "the load produced alerts"


def test_every_webhook_delivered_three_times_creates_one_report(stack):
    load = run_load(stack, seconds=6, copies=3)
    TALLY["faults injected"] += 1                 # the provider's retries are the fault here
    TALLY["repeated deliveries"] = len(load.sent) - len({sent.sid for sent in load.sent})
    check(stack, load, settle(stack, load))
    assert len(load.sent) == 3 * len({sent.sid for sent in load.sent})
    by_sid = {}
    for sent in load.sent:                        # each copy got the same receipt
        assert by_sid.setdefault(sent.sid, sent.reference) == sent.reference


def test_a_redis_restart_loses_no_report_and_processes_none_twice(stack):
    def restart_redis():
        stack.redis.stop()
        time.sleep(2)
        stack.redis.start()

    load = run_load(stack, seconds=10, fault=restart_redis, at=3)
    check(stack, load, settle(stack, load))


def busy_worker(stack, timeout: float = 3.0):
    """The supervised worker running a job right now (RQ records each worker's pid), or None."""
    redis = Redis.from_url(stack.redis.url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in ("rq:wip:reports", "rq:wip:sends"):
            for entry in redis.zrange(key, 0, 0):
                name = redis.hget(f"rq:job:{entry.decode().split(':')[0]}", "worker_name")
                pid = redis.hget(f"rq:worker:{name.decode()}", "pid") if name else None
                found = [w for w in stack.workers if pid and w.process.pid == int(pid)]
                if found:
                    return found[0]
        time.sleep(0.001)
    return None


def test_a_worker_killed_mid_batch_loses_nothing_and_alerts_once(stack):
    killed = []

    def kill_a_busy_worker():
        worker = busy_worker(stack) or stack.workers[0]
        worker.kill()                      # SIGKILL; its supervisor starts a new one, as compose would
        killed.append(worker)

    load = run_load(stack, seconds=10, fault=kill_a_busy_worker, at=4)
    check(stack, load, settle(stack, load))
    assert killed[0].restarts >= 1
    TALLY["jobs abandoned by the kill"] = abandoned_jobs(stack)


def abandoned_jobs(stack) -> int:
    text = urllib.request.urlopen(stack.web_url + "/metrics", timeout=10).read().decode()
    return int(sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                   if sample.name == "gateway_job_failures_total" and sample.labels.get("reason") == "abandoned"))


def test_a_database_outage_is_spooled_answered_and_replayed_once(stack):
    seen_spooled = []

    def stop_postgres_for_30_seconds():
        stack.postgres.stop()
        time.sleep(28)
        seen_spooled.append(stack.spool_entries())
        stack.postgres.start()

    load = run_load(stack, seconds=36, fault=stop_postgres_for_30_seconds, at=3)
    check(stack, load, settle(stack, load))
    assert seen_spooled and seen_spooled[0] > 200        # ~28 s at 10 messages a second waited on disk
