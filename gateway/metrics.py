"""Metrics in Prometheus text format, built at scrape time.

Why not prometheus_client's multiprocess mode: the web runs as several gunicorn processes
and the workers as separate processes, possibly on other hosts; a multiprocess directory
only sees one host's processes and needs cleaning on every restart. Instead:
- what the database knows (messages received, reports by status, sends by status) is
  counted from the database when scraped — always right, whichever process answers;
- queue depth and failed jobs come from Redis (RQ's own queues and registries);
- events that leave no row (webhook outcomes, job failures) are counters in one Redis
  hash, shared by every process; if Redis is flushed they restart from zero, which
  Prometheus's rate() treats as a counter reset;
- the spool is this host's disk: scrape each web host directly, not through a balancer.
A dependency that is down makes its series disappear and `gateway_dependency_up` 0;
the scrape itself always answers.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter
from datetime import timezone

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
EVENTS_KEY = "gateway:metrics:events"
EVENTS = {   # event name -> (help, label names)
    "webhook_requests": ("Webhook requests refused before storage, by reason.", ("provider", "outcome")),
    "webhook_messages": ("Inbound messages taken by a webhook, by outcome (stored, duplicate, "
                         "held, spooled).", ("provider", "channel", "outcome")),
    "job_failures": ("Jobs that raised or were abandoned by a dead worker.", ("function", "reason")),
    "spool_replays": ("Spooled entries replayed into the database.", ("kind",)),
    "ussd_sessions_ended": ("USSD sessions ended, by how (success, incomplete, failed) and the menu screen "
                            "they ended on.", ("provider", "status", "screen")),
    "provider_circuit": ("SMS provider circuit changes (opened: failing over; closed: back in use).",
                         ("provider", "state")),
}


def record(redis: Redis, event: str, *, by: int = 1, **labels: str) -> None:
    """Add `by` (one) to an event counter; best effort (a metric never fails a request)."""
    try:
        redis.hincrby(EVENTS_KEY, _field(event, labels), by)
    except RedisError:
        pass


def record_soon(redis: Redis, event: str, **labels: str) -> None:
    """record(), added to Redis within FLUSH_SECONDS: for the webhook's hot path.

    One Redis round trip per inbound SMS was a tenth of the webhook's cost under a flood
    (bench/ingest-notes.md); counts are now summed in the process and flushed each second
    (and before this process renders /metrics, and at exit). A process killed outright
    loses at most a second of counts, which Prometheus sees as fewer events, never as a reset.
    """
    _deferred.add(redis, _field(event, labels))


def _field(event: str, labels: dict) -> str:
    return event + "|" + ",".join(f"{key}={labels[key]}" for key in EVENTS[event][1])


FLUSH_SECONDS = 1.0


class _Deferred:
    """This process's counts not yet in Redis, by connection (tests run several at once)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[int, tuple[Redis, Counter]] = {}
        self._pid: int | None = None

    def add(self, redis: Redis, field: str) -> None:
        with self._lock:
            if self._pid != os.getpid():          # first use, or a forked child: its own flusher
                self._pid, self._counts = os.getpid(), {}
                threading.Thread(target=self._flush_forever, name="metrics-flush", daemon=True).start()
            self._counts.setdefault(id(redis), (redis, Counter()))[1][field] += 1

    def flush(self) -> None:
        with self._lock:
            pending, self._counts = self._counts, {}
        for redis, counts in pending.values():
            try:
                with redis.pipeline(transaction=False) as pipe:
                    for field, count in counts.items():
                        pipe.hincrby(EVENTS_KEY, field, count)
                    pipe.execute()
            except RedisError:
                pass                              # best effort, as record()

    def _flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()


_deferred = _Deferred()
atexit.register(_deferred.flush)
flush = _deferred.flush


def render(runtime) -> bytes:
    flush()                                       # this process's own counts, exactly
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(runtime))
    return generate_latest(registry)


class _Collector:
    def __init__(self, runtime):
        self._runtime = runtime

    def collect(self):
        database = list(_database_families(self._runtime))
        redis = list(_redis_families(self._runtime))
        up = GaugeMetricFamily("gateway_dependency_up", "1 when the dependency answered this scrape.",
                               labels=["dependency"])
        up.add_metric(["database"], 1 if database else 0)
        up.add_metric(["redis"], 1 if redis else 0)
        yield up
        yield from database
        yield from redis
        yield from _spool_families(self._runtime)


def _database_families(runtime):
    from gateway.store.db import is_unavailable
    from gateway.store.relays import last_check_ins
    from gateway.store.stats import inbound_counts, outbound_counts, report_counts

    try:
        with runtime.transaction() as session:
            inbound, outbound, reports = inbound_counts(session), outbound_counts(session), report_counts(session)
            relays = last_check_ins(session)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        return []
    received = CounterMetricFamily("gateway_messages_received", "Inbound messages stored.",
                                   labels=["provider", "channel"])
    sends = GaugeMetricFamily("gateway_outbound_messages", "Outbound messages by kind and status.",
                              labels=["kind", "status"])
    by_status = GaugeMetricFamily("gateway_reports", "Reports by status.", labels=["status"])
    for provider, channel, count in inbound:
        received.add_metric([provider, channel], count)
    for kind, status, count in outbound:
        sends.add_metric([kind, status], count)
    for status, count in reports:
        by_status.add_metric([status], count)
    return [received, sends, by_status, *_relay_families(relays)]


def _relay_families(relays) -> list[GaugeMetricFamily]:
    """Relay phones' last check-in (alert on time() - it), and whether staff were told of a silence."""
    seen = GaugeMetricFamily("gateway_relay_last_checkin_timestamp_seconds",
                             "Unix time of each relay phone's last authenticated call.", labels=["device"])
    silent = GaugeMetricFamily("gateway_relay_silent", "1 when staff were told the relay phone went silent.",
                               labels=["device"])
    for device_id, last_seen, alerted in relays:
        aware = last_seen if last_seen.tzinfo else last_seen.replace(tzinfo=timezone.utc)
        seen.add_metric([device_id], aware.timestamp())
        silent.add_metric([device_id], 1 if alerted else 0)
    return [seen, silent]


def _redis_families(runtime):
    try:
        queues = runtime.queues.all()
        depth = GaugeMetricFamily("gateway_queue_depth", "Jobs waiting in each queue.", labels=["queue"])
        failed = GaugeMetricFamily("gateway_failed_jobs", "Jobs in each queue's failed registry.",
                                   labels=["queue"])
        for queue in queues:
            depth.add_metric([queue.name], queue.count)
            failed.add_metric([queue.name], queue.failed_job_registry.count)
        events = runtime.redis.hgetall(EVENTS_KEY)
    except RedisError:
        return []
    return [depth, failed, *_event_families(events)]


def _event_families(events: dict) -> list[CounterMetricFamily]:
    families = {name: CounterMetricFamily(f"gateway_{name}", help_text, labels=list(labels))
                for name, (help_text, labels) in EVENTS.items()}
    for raw_field, raw_value in events.items():
        name, _, label_text = _text(raw_field).partition("|")
        if name not in families:
            continue
        values = dict(pair.split("=", 1) for pair in label_text.split(",") if "=" in pair)
        families[name].add_metric([values.get(label, "") for label in EVENTS[name][1]], int(raw_value))
    return list(families.values())


def _spool_families(runtime):
    from gateway.spool import Spool

    spool = Spool.from_config(runtime.config)
    if not spool.directory.is_dir():
        return []
    stats = spool.stats()
    families = []
    for name, help_text, value in (
            ("gateway_spool_entries", "Messages waiting in this host's disk spool.", stats.entries),
            ("gateway_spool_bytes", "Size of this host's disk spool.", stats.bytes),
            ("gateway_spool_oldest_age_seconds", "Age of the oldest spooled entry.", stats.oldest_age_seconds),
            ("gateway_spool_quarantined", "Spool entries set aside for a person to look at.", stats.quarantined)):
        family = GaugeMetricFamily(name, help_text)
        family.add_metric([], value)
        families.append(family)
    return families


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
