"""RQ jobs. They take ids, not objects, and let unexpected failures raise so RQ sees them."""
from __future__ import annotations

from gateway.runtime import current
from workers import pipeline, sending
from workers.trends import run as trends


def process_report(report_id: int) -> int:
    runtime = current()
    message_ids = pipeline.process_report(runtime, report_id)
    for message_id in message_ids:
        runtime.queues.enqueue_send(message_id)
    return len(message_ids)


def send_message(message_id: int) -> str:
    return sending.send_message(current(), message_id)


def trends_tick(asked_minute: int) -> str:
    """The periodic trends job: the spike check and any weekly digest that is due."""
    return trends.tick(current())
