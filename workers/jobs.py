"""RQ jobs. They take ids, not objects, and let unexpected failures raise so RQ sees them."""
from __future__ import annotations

from gateway.runtime import current
from workers import escalation, pipeline, sending


def process_report(report_id: int) -> int:
    """Process the report, then hand its alerts to the provider in the same job.

    The alerts were committed first, so no database session is open during the sends;
    if this process dies in between, the sweeper finds them still queued and enqueues them.
    Sending here rather than in one job per alert halves the queue work per report.
    """
    runtime = current()
    message_ids = pipeline.process_report(runtime, report_id)
    sending.send_messages(runtime, message_ids)
    return len(message_ids)


def send_message(message_id: int) -> str:
    return sending.send_message(current(), message_id)


def escalate() -> int:
    """The periodic escalation check; returns how many alerts it escalated."""
    return escalation.escalate_overdue(current()).alerts_escalated
