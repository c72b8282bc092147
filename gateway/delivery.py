"""Delivery reports, whatever the provider: the web layer parses, this records.

Every provider's status webhook (Twilio's status callback, Africa's Talking's delivery
report) parses its request into a DeliveryStatus and calls record_delivery_status.
"""
from __future__ import annotations

import logging

from gateway.domain import DeliveryStatus
from gateway.runtime import Runtime
from gateway.store.outbound import apply_delivery_status

log = logging.getLogger(__name__)


def record_delivery_status(runtime: Runtime, status: DeliveryStatus) -> bool:
    """Apply the status to our outbound message (monotonically); False if we never sent it.

    `status.extra["failure_reason"]`, when present, is kept as the visible failure reason.
    """
    with runtime.transaction() as session:
        known = apply_delivery_status(session, status.provider, status.provider_message_id, status.status,
                                      status.error_code, runtime.now(),
                                      failure_reason=status.extra.get("failure_reason"))
    if not known:
        log.info("status for unknown message", extra={"provider": status.provider})
    return known
