"""RQ jobs. They take ids, not objects, and let unexpected failures raise so RQ sees them.

RQ keeps a failed job's traceback (in Redis, in its log): a database error's text is
withheld from it first (gateway.logs.withhold_database_text), as it quotes stored values."""
from __future__ import annotations

import logging

from gateway.logs import withhold_database_text
from gateway.runtime import current
from workers import escalation, pipeline, reroute, sending
from workers.trends import run as trends

log = logging.getLogger(__name__)
# Reports whose own job failed in this process even alone: left out of this process's
# batches, or one report that always fails would make every batch fail and fall back.
# Their own jobs still take them (the sweeper re-enqueues them), so a fix deployed later
# processes them. A handful of ids at most; a restarted worker forgets them.
_FAILED_ALONE: set[int] = set()


@withhold_database_text
def process_report(report_id: int) -> int:
    """Process the report and others waiting with it, then hand their alerts to the provider.

    Up to REPORT_BATCH_SIZE waiting reports in one transaction (pipeline.process_batch);
    the queued jobs of the others are then redundant and dropped. If the batch fails (one bad
    report), it is rolled back and this job processes its own report alone: the others stay
    waiting for their own jobs, and RQ sees a failure only if this job's report fails.

    The alerts are committed first (already claimed for sending), so no database session
    is open during the sends; if this process dies in between, the sweeper puts them back
    in the queue. One job per report instead of one more per alert: half the queue work.
    """
    return _process_own([report_id])


@withhold_database_text
def process_new_reports(report_ids: list[int]) -> int:
    """The reports one webhook transaction stored (gateway.group_commit), as one job.

    One RQ job per batch instead of one per report: RQ's cost per job was a tenth of the
    webhook's under a flood. Otherwise as process_report, with several reports of its own:
    if the batch fails, they are processed one by one, and the job fails only if one of
    them fails alone; that one stays 'received' and the sweeper gives it a job of its own.
    """
    return _process_own(report_ids)


def _process_own(own: list[int]) -> int:
    runtime = current()
    batch_size = runtime.config.report_batch_size
    try:
        batch = pipeline.process_batch(runtime, own, batch_size, leave_out=frozenset(_FAILED_ALONE))
    except Exception as exc:
        if len(own) == 1 and batch_size <= 1:     # it was alone already
            raise
        # The error's type only: a database error's text can quote a report (logs hold no personal data).
        log.warning("report batch failed; processing the job's own reports alone",
                    extra={"reports": len(own), "error": type(exc).__name__})
        return _process_one_by_one(runtime, own)
    runtime.queues.drop_report_jobs([done for done in batch.report_ids if done not in own])
    sending.send_claimed(runtime, batch.tasks)
    return len(batch.tasks)


def _process_one_by_one(runtime, report_ids: list[int]) -> int:
    """Each report alone; raises the first failure once the others are processed and sent."""
    tasks, failures = [], []
    for report_id in report_ids:
        try:
            tasks += pipeline.process_reports(runtime, report_id, 1).tasks
        except Exception as exc:
            _FAILED_ALONE.add(report_id)
            failures.append(exc)
    sending.send_claimed(runtime, tasks)
    if failures:
        raise failures[0]
    return len(tasks)


@withhold_database_text
def reroute_report(report_id: int) -> int:
    """After a staff correction: alert the forums the corrected report now concerns."""
    runtime = current()
    tasks = reroute.reroute_report(runtime, report_id)
    sending.send_claimed(runtime, tasks)
    return len(tasks)


@withhold_database_text
def send_message(message_id: int) -> str:
    return sending.send_message(current(), message_id)


@withhold_database_text
def trends_tick(asked_minute: int) -> str:
    """The periodic trends job: the spike check and any weekly digest that is due."""
    return trends.tick(current())


@withhold_database_text
def escalate() -> int:
    """The periodic escalation check; returns how many alerts it escalated."""
    return escalation.escalate_overdue(current()).alerts_escalated
