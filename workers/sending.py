"""send_message: hand one queued message to its provider, retrying only what may succeed.

No database session is held across the provider call: claim, send, record are three steps.
Retry policy reads ProviderError.retryable, never the error's text.
"""
from __future__ import annotations

import logging

from gateway.domain import OutboundSms
from gateway.errors import ProviderError
from gateway.runtime import Runtime
from gateway.store.outbound import SendTask, claim_for_send, record_failure, record_retry, record_sent

log = logging.getLogger(__name__)


def send_message(runtime: Runtime, message_id: int) -> str:
    with runtime.transaction() as session:
        task = claim_for_send(session, message_id, runtime.now())
    if task is None:
        return "skipped"
    recipient = _recipient(runtime, task)
    if recipient is None:
        _fail(runtime, task, ProviderError("no recipient number (purged or missing)", retryable=False))
        return "failed"
    try:
        result = runtime.sender(task.provider).send(OutboundSms(to=recipient, body=task.body))
    except ProviderError as error:
        return _handle_error(runtime, task, error)
    except Exception:
        _fail(runtime, task, ProviderError("internal error while sending", retryable=False))
        raise
    with runtime.transaction() as session:
        record_sent(session, task.message_id, provider_message_id=result.provider_message_id,
                    status=result.status, segments=result.segments, now=runtime.now())
    log.info("message sent", extra={"message_id": task.message_id, "provider": task.provider})
    return "sent"


def _recipient(runtime: Runtime, task: SendTask) -> str | None:
    if task.coordinator_phone:
        return task.coordinator_phone
    if task.reporter_number_encrypted:
        return runtime.pseudonymiser.decrypt(task.reporter_number_encrypted)
    return None


def _handle_error(runtime: Runtime, task: SendTask, error: ProviderError) -> str:
    backoff = runtime.config.send_backoff_seconds
    if not error.retryable or task.attempts > len(backoff):
        _fail(runtime, task, error)
        return "failed"
    with runtime.transaction() as session:
        record_retry(session, task.message_id, error.reason, error.code, runtime.now())
    runtime.queues.enqueue_send(task.message_id, attempt=task.attempts + 1,
                                delay_seconds=backoff[task.attempts - 1])
    log.warning("send will be retried", extra={"message_id": task.message_id, "attempt": task.attempts,
                                                "error_code": error.code})
    return "retrying"


def _fail(runtime: Runtime, task: SendTask, error: ProviderError) -> None:
    with runtime.transaction() as session:
        record_failure(session, task.message_id, error.reason, error.code, runtime.now())
    log.warning("send failed", extra={"message_id": task.message_id, "error_code": error.code})
