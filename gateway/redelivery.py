"""An alert a provider reports undelivered goes out again through the next provider of SMS_PROVIDERS.

Failover (gateway.failover) acts when a provider refuses or fails the send itself. Some
failures come later, in the delivery report: a relay phone whose SIM has run out of credit
takes the message, then reports it failed; an operator reports a number unreachable through
its network. For a coordinator's alert that must not be the end of it: a new message with the
same text is queued for the next provider of the deployment's list, the failed one stays in
the message log with its reason, and the alert points to the new one (the report page shows
it). Each resend moves one step along SMS_PROVIDERS, so it ends with the list; with one
provider nothing is resent. Only alerts and incident updates: a receipt to a reporter from
another operator's number could surprise or expose them.

    with runtime.transaction() as session:
        resend_id = resend_undelivered_alert(session, config.failover_order, "orange", "req-1", now)
    if resend_id:
        runtime.queues.enqueue_send(resend_id)
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from gateway.store.models import Alert, Message
from gateway.store.outbound import queue_outbound

log = logging.getLogger(__name__)
UNDELIVERED = ("failed", "undelivered")
RESENT_KINDS = ("alert", "update")


def next_provider(current: str, order: tuple[str, ...]) -> str | None:
    """The provider after `current` in SMS_PROVIDERS; the list's first for a forum's own provider."""
    if not order or order[0] == "console":
        return None
    if current not in order:
        return order[0]
    later = order[order.index(current) + 1:]
    return later[0] if later else None


def resend_undelivered_alert(session, order: tuple[str, ...], provider: str, provider_message_id: str,
                             now: datetime) -> int | None:
    """Queue the alert again through the next provider; the new message's id, or None.

    Once per failed message: the alert must still point to it (a repeated delivery report
    finds it pointing to the resend and does nothing).
    """
    found = session.execute(
        select(Message, Alert).join(Alert, Alert.message_id == Message.id)
        .where(Message.provider == provider, Message.provider_message_id == provider_message_id,
               Message.direction == "out")).first()
    if found is None:
        return None
    failed, alert = found
    fallback = next_provider(failed.provider, order)
    if failed.status not in UNDELIVERED or failed.kind not in RESENT_KINDS or fallback is None:
        return None
    resend = queue_outbound(session, provider=fallback, kind=failed.kind, body=failed.body, now=now,
                            coordinator_id=failed.coordinator_id, report_id=failed.report_id)
    alert.message_id = resend.id
    log.warning("undelivered alert sent again through the next provider",
                extra={"message_id": failed.id, "resend_id": resend.id, "provider": fallback})
    return resend.id
