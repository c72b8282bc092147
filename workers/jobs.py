"""RQ jobs. They take ids, not objects, and let unexpected failures raise so RQ sees them."""
from __future__ import annotations

from gateway.runtime import current
from workers import escalation, pipeline, sending
from workers.trends import run as trends


def process_report(report_id: int) -> int:
    """Process the report, then hand its alerts to the provider in the same job.

    The alerts are committed first (already claimed for sending), so no database session
    is open during the sends; if this process dies in between, the sweeper puts them back
    in the queue. One job per report instead of one more per alert: half the queue work.
    """
    runtime = current()
    tasks = pipeline.process_report(runtime, report_id)
    sending.send_claimed(runtime, tasks)
    return len(tasks)


def send_message(message_id: int) -> str:
    return sending.send_message(current(), message_id)


def escalate() -> int:
    """The periodic escalation check; returns how many alerts it escalated."""
    return escalation.escalate_overdue(current()).alerts_escalated


def trends_tick(asked_minute: int) -> str:
    """The periodic trends job: the spike check and any weekly digest that is due."""
    return trends.tick(current())
