"""Inbound SMS, whatever the provider: make it durable, enqueue it, say what to reply.

The request path never classifies, routes or sends: it writes two rows and enqueues.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from gateway.domain import InboundSms
from gateway.phone import normalise_number
from gateway.receipts import receipt_text
from gateway.runtime import Runtime
from gateway.store.ingest import NewReport, record_report
from gateway.store.outbound import queue_outbound
from gateway.store.reporters import get_or_create_reporter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    reply: str | None
    reference: str | None
    duplicate: bool


def receive_sms(runtime: Runtime, inbound: InboundSms, *, reply_inline: bool = True,
                reference: str | None = None, hold: bool = False) -> Receipt:
    """Store the message and its report in one transaction, then enqueue processing.

    A repeated provider message id returns the same receipt and creates nothing.
    `reference`: a code drawn beforehand (gateway.durable), used unless it collides.
    `hold`: the sender is over its rate limit; the report is kept as 'held', not processed.
    """
    number = normalise_number(inbound.sender, runtime.config.phone_region)
    pseudonym = runtime.pseudonymiser.pseudonym(number)
    now = runtime.now()
    with runtime.transaction() as session:
        reporter = get_or_create_reporter(session, pseudonym=pseudonym,
                                          number_encrypted=runtime.pseudonymiser.encrypt(number),
                                          language=runtime.config.default_language, now=now)
        ingested = record_report(session, reporter, NewReport(
            provider=inbound.provider, provider_message_id=inbound.provider_message_id,
            channel="sms", body=inbound.body, reference=reference,
            status="held" if hold else "received"), now)
        reply = receipt_text(ingested.reference, reporter.language) if ingested.reference else None
        if reply and not ingested.duplicate:
            queue_outbound(session, provider=inbound.provider, kind="receipt", body=reply, now=now,
                           reporter_id=reporter.id, report_id=ingested.report_id,
                           status="replied_inline" if reply_inline else "queued")
    if not ingested.duplicate and not hold:
        runtime.queues.enqueue_report(ingested.report_id)
    log.info("inbound sms", extra={"provider": inbound.provider, "report_id": ingested.report_id,
                                   "duplicate": ingested.duplicate})
    return Receipt(reply=reply, reference=ingested.reference, duplicate=ingested.duplicate)
