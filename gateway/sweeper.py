"""The sweeper: finds work whose job was lost (Redis flushed or down) and enqueues it again.

The database is the source of truth. Job ids are unique, so sweeping work whose job is
still queued does nothing; the grace period only avoids racing a webhook between its
commit and its own enqueue.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from gateway.runtime import Runtime
from gateway.store.outbound import release_stale_sending, stale_queued_ids
from gateway.store.reports import cutoff, unprocessed_report_ids

log = logging.getLogger(__name__)
STALE_SENDING_SECONDS = 600     # far beyond a send: RQ's job timeout is 180 s


@dataclass(frozen=True)
class SweepResult:
    reports: int
    sends: int
    enqueued: int


def sweep(runtime: Runtime, grace_seconds: int | None = None) -> SweepResult:
    grace = runtime.config.sweep_grace_seconds if grace_seconds is None else grace_seconds
    now = runtime.now()
    with runtime.transaction() as session:
        report_ids = unprocessed_report_ids(session, cutoff(now, grace))
        message_ids = stale_queued_ids(session, now, grace)
        message_ids += release_stale_sending(session, now, max(grace, STALE_SENDING_SECONDS))
    enqueued = sum(runtime.queues.enqueue_report(report_id) for report_id in report_ids)
    enqueued += sum(runtime.queues.enqueue_send(message_id, attempt=0) for message_id in message_ids)
    if report_ids or message_ids:
        log.info("sweep", extra={"reports": len(report_ids), "sends": len(message_ids), "enqueued": enqueued})
    return SweepResult(reports=len(report_ids), sends=len(message_ids), enqueued=enqueued)


def housekeeping(runtime: Runtime) -> SweepResult:
    """What workers run on every periodic tick: the sweep, then the escalation check.

    Escalation is enqueued as a job (gateway never imports workers): any worker runs it.
    """
    result = sweep(runtime)
    runtime.queues.enqueue_escalation()
    return result
