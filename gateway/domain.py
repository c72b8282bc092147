"""Plain dataclasses that cross module boundaries (providers, web, store, workers)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InboundSms:
    provider: str
    provider_message_id: str
    sender: str            # as the provider sent it; normalised to E.164 before storage
    recipient: str
    body: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class UssdHop:
    provider: str
    session_id: str
    phone_number: str
    service_code: str
    network_code: str
    text: str              # Africa's Talking: every input so far joined by "*"


@dataclass(frozen=True)
class UssdSessionEnd:
    """The aggregator's word that a USSD session is over, and how it ended."""
    provider: str
    session_id: str
    phone_number: str
    status: str            # success | incomplete (the reporter left) | failed (our side or the network)
    error: str             # the aggregator's error message with "failed", else ""


@dataclass(frozen=True)
class OutboundSms:
    to: str                # E.164
    body: str
    status_callback: str | None = None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None
    status: str            # our status vocabulary: sent, queued, ...
    segments: int | None = None


@dataclass(frozen=True)
class DeliveryStatus:
    provider: str
    provider_message_id: str
    status: str            # normalised: queued, sending, sent, delivered, undelivered, failed, read
    error_code: str | None = None
    raw_status: str = ""
    extra: dict = field(default_factory=dict)
