"""The sweeper: finds work whose job was lost (Redis flushed or down, worker killed) and enqueues it again.

The database is the source of truth. Job ids are unique, so sweeping work whose job is
still queued does nothing; the grace period only avoids racing a webhook between its
commit and its own enqueue. What it looks for:
- jobs 'started' by a worker that stopped beating (SIGKILL): failed, so they can run again;
- reports in a state that waits for a job (store.reports.WAITING_FOR_JOB) past the grace;
- outbound messages 'queued' past the grace, or 'sending' past SEND_STUCK_SECONDS (the
  worker died between claiming and recording the send; workers.sending decides what to do);
- alerts past their forum's deadline: it enqueues the escalation check (workers.escalation),
  a job with one id, so that any worker runs it once per tick;
- relay phones silent for RELAY_SILENCE_MINUTES: staff are told once (gateway.relay_watch).
Reports 'held' by the rate limit wait for staff, not for a job, and are left alone.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError

from gateway.relay_watch import alert_silent_relays
from gateway.runtime import Runtime
from gateway.store.outbound import stale_queued_ids, stuck_sending_ids
from gateway.store.reports import cutoff, unprocessed_report_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    reports: int
    sends: int
    enqueued: int
    stuck_sends: int = 0
    abandoned_jobs: int = 0


def sweep(runtime: Runtime, grace_seconds: int | None = None) -> SweepResult:
    grace = runtime.config.sweep_grace_seconds if grace_seconds is None else grace_seconds
    abandoned = _recover_abandoned(runtime)
    now = runtime.now()
    with runtime.transaction() as session:
        report_ids = unprocessed_report_ids(session, cutoff(now, grace))
        message_ids = stale_queued_ids(session, now, grace)
        stuck_ids = stuck_sending_ids(session, now, runtime.config.send_stuck_seconds)
    enqueued = sum(runtime.queues.enqueue_report(report_id) for report_id in report_ids)
    enqueued += sum(runtime.queues.enqueue_send(message_id, attempt=0) for message_id in message_ids + stuck_ids)
    runtime.queues.enqueue_escalation()
    alert_silent_relays(runtime)
    if report_ids or message_ids or stuck_ids or abandoned:
        log.info("sweep", extra={"reports": len(report_ids), "sends": len(message_ids), "stuck_sends": len(stuck_ids),
                                 "abandoned_jobs": abandoned, "enqueued": enqueued})
    return SweepResult(reports=len(report_ids), sends=len(message_ids), enqueued=enqueued,
                       stuck_sends=len(stuck_ids), abandoned_jobs=abandoned)


def _recover_abandoned(runtime: Runtime) -> int:
    from gateway import metrics

    try:
        recovered = runtime.queues.recover_abandoned()
    except RedisError:
        return 0          # Redis down: nothing can be enqueued either; the next sweep tries again
    for job_id in recovered:     # job ids are "<function>-<id>[-<attempt>]" (gateway.queues)
        metrics.record(runtime.redis, "job_failures", function=job_id.split("-")[0], reason="abandoned")
    return len(recovered)
