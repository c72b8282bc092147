"""The trends jobs: the spike check and the weekly digests. Idempotent.

check_trends: counts → spikes → (minus those warned in the last 7 days) → one warning row per
spike and one SMS per coordinator told, on the alerts' `sends` queue.
send_digests: one SMS per coordinator of each working group for an ISO week, once (a row per
group and week), on the `bulk` queue so a digest never delays an alert.
tick: what the workers' periodic loop runs (via the `trends-tick` job): the check at most once
per `check_every_minutes`, and the digests once they are due (settings.yaml `schedule`).
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from gateway.runtime import Runtime
from gateway.store.forums import active_coordinators, active_forums
from gateway.store.outbound import queue_outbound
from gateway.store.trends import (bucket_counts, digest_sent, open_counts, record_digest, record_warning,
                                  warned_since)
from gateway.trends.weeks import WEEK, midnight, rolling_edges, week_edges, week_start
from workers.trends.audience import Audience, plan_warnings, recipients
from workers.trends.digest import digest_figures
from workers.trends.settings import Schedule, load_settings
from workers.trends.spikes import Spike, detect, histories
from workers.trends.texts import digest_text, warning_text

log = logging.getLogger(__name__)
SUPPRESS_FOR = timedelta(days=7)
TICK_LOCK = "gateway:trends-check"
DAY = timedelta(days=1)


@dataclass(frozen=True)
class CheckResult:
    spikes: int
    suppressed: int
    warned_forums: int
    messages: int


@dataclass(frozen=True)
class DigestResult:
    week_start: date
    sent: int
    already_sent: int
    messages: int


def check_trends(runtime: Runtime) -> CheckResult:
    now, settings = runtime.now(), load_settings()
    windows = settings.longest_baseline + 1
    with runtime.transaction() as session:
        found = detect(histories(bucket_counts(session, rolling_edges(now, windows), reporters=True),
                                 bucket_counts(session, rolling_edges(now, 7, DAY)), windows), settings.spikes)
        already = warned_since(session, now - SUPPRESS_FOR)
        fresh = [spike for spike in found if (spike.category, spike.area) not in already]
        forums = {forum.id: forum for forum in active_forums(session)}
        plan = plan_warnings(fresh, [_audience(forum) for forum in forums.values()])
        for spike in fresh:
            record_warning(session, category=spike.category, area_pcode=spike.area, observed=spike.observed,
                           expected=spike.expected, threshold=spike.threshold, now=now,
                           forum_ids=sorted(f for f, spikes in plan.items() if spike in spikes))
        message_ids = [mid for forum_id, spikes in plan.items()
                       for mid in _queue_warnings(session, runtime, forums[forum_id], spikes, now)]
    for message_id in message_ids:
        runtime.queues.enqueue_send(message_id)
    result = CheckResult(len(found), len(found) - len(fresh), len(plan), len(message_ids))
    log.info("trends checked", extra=asdict(result))
    return result


def _audience(forum) -> Audience:
    return Audience(forum.id, forum.kind, forum.language, frozenset(forum.categories), tuple(forum.areas))


def _queue_warnings(session, runtime: Runtime, forum, spikes: list[Spike], now: datetime) -> list[int]:
    return [queue_outbound(session, provider=runtime.config.sms_provider, kind="warning", now=now,
                           body=warning_text(spike, forum.language), coordinator_id=coordinator.id).id
            for spike in spikes for coordinator in recipients(active_coordinators(session, forum.id))]


def send_digests(runtime: Runtime, week: date | None = None) -> DigestResult:
    """Digests of the ISO week starting `week` (default: the last whole week), once per group."""
    now = runtime.now()
    week = week_start(week) if week else week_start(now.date()) - WEEK
    sent = already = 0
    message_ids: list[int] = []
    with runtime.transaction() as session:
        week_cells = bucket_counts(session, week_edges([week - WEEK, week]))
        still_open = open_counts(session)
        for forum in active_forums(session):
            if forum.kind != "working_group":
                continue
            if digest_sent(session, forum.id, week):
                already += 1
                continue
            figures = digest_figures(week_start=week, categories=forum.categories, areas=forum.areas,
                                     week_cells=week_cells, open_cells=still_open)
            ids = _queue_digest(session, runtime, forum, digest_text(figures, forum.language), now)
            record_digest(session, forum_id=forum.id, week_start=week, messages=len(ids), now=now)
            message_ids += ids
            sent += 1
    for message_id in message_ids:
        runtime.queues.enqueue_send(message_id, bulk=True)
    result = DigestResult(week, sent, already, len(message_ids))
    log.info("trend digests", extra={**asdict(result), "week_start": week.isoformat()})
    return result


def _queue_digest(session, runtime: Runtime, forum, text: str, now: datetime) -> list[int]:
    return [queue_outbound(session, provider=runtime.config.sms_provider, kind="digest", body=text, now=now,
                           coordinator_id=coordinator.id).id
            for coordinator in recipients(active_coordinators(session, forum.id))]


def digest_due(now: datetime, schedule: Schedule) -> bool:
    """Digests of last week are due from the scheduled weekday and hour of this week on."""
    due = midnight(week_start(now.date())) + timedelta(days=schedule.digest_weekday, hours=schedule.digest_hour_utc)
    return now >= due


def tick(runtime: Runtime) -> str:
    """The periodic job. Across all workers, at most one check per interval (a Redis key)."""
    schedule = load_settings().schedule
    if not runtime.redis.set(TICK_LOCK, "1", nx=True, ex=schedule.check_every_minutes * 60):
        return "not due"
    check_trends(runtime)
    if digest_due(runtime.now(), schedule):
        send_digests(runtime)
    return "checked"
