"""send_message: hand one queued message to its provider, retrying only what may succeed.

No database session is held across the provider call: claim, send, record are three steps.
Retry policy reads ProviderError.retryable, never the error's text.
"""
from __future__ import annotations

import logging

from gateway.domain import OutboundSms
from gateway.errors import ProviderError
from gateway.runtime import Runtime
from gateway.store.outbound import SendTask, claim_for_send, claim_stuck, record_failure, record_retry, record_sent

log = logging.getLogger(__name__)


def send_message(runtime: Runtime, message_id: int) -> str:
    with runtime.transaction() as session:
        task = claim_for_send(session, message_id, runtime.now()) or \
            claim_stuck(session, message_id, runtime.now(), runtime.config.send_stuck_seconds)
    if task is None:
        return "skipped"
    recipient = _recipient(runtime, task)
    if recipient is None:
        _fail(runtime, task, ProviderError("no recipient number (purged or missing)", retryable=False))
        return "failed"
    if task.uncertain_since and _found_at_provider(runtime, task, recipient):
        return "reconciled"
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


def _found_at_provider(runtime: Runtime, task: SendTask, recipient: str) -> bool:
    """A worker died between claiming this message and recording the send: did the provider take it?

    Asked of providers that can tell (Twilio lists what was sent); when one cannot, or the
    question fails, the message is sent again: an alert twice is better than an alert lost.
    """
    lookup = getattr(runtime.sender(task.provider), "find_sent", None)
    try:
        found = lookup(OutboundSms(to=recipient, body=task.body), task.uncertain_since) if lookup else None
    except ProviderError:
        found = None
    if found is None:
        return False
    with runtime.transaction() as session:
        record_sent(session, task.message_id, provider_message_id=found.provider_message_id,
                    status=found.status, segments=found.segments, now=runtime.now())
    log.info("send found at provider", extra={"message_id": task.message_id, "provider": task.provider})
    return True


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
