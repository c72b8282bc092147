"""Enqueueing: one Redis round trip per job, still unique, queues still listed."""
from __future__ import annotations

from rq import Queue

from gateway.queues import Queues


def test_a_report_is_enqueued_once_and_its_queue_is_listed(redis_connection):
    queues = Queues(redis_connection)
    assert queues.enqueue_report(7) and queues.enqueue_report(7)
    assert queues.by_name["reports"].job_ids == ["report-7"]
    assert "reports" in {queue.name for queue in Queue.all(connection=redis_connection)}


def test_the_queue_list_comes_back_after_redis_is_flushed(redis_connection):
    queues = Queues(redis_connection)
    queues.enqueue_report(1)
    redis_connection.flushdb()
    queues.enqueue_report(2)                          # within the minute: job queued, list not yet
    assert queues.by_name["reports"].job_ids == ["report-2"]
    queues._registered_until.clear()                  # as a minute later
    queues.enqueue_report(3)
    assert "reports" in {queue.name for queue in Queue.all(connection=redis_connection)}
