"""Inbound messages that are not reports (commands, keywords) and the replies they got."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.domain import InboundSms
from gateway.store.models import Message


def record_inbound(session: Session, inbound: InboundSms, *, kind: str, now: datetime,
                   reporter_id: int | None = None, coordinator_id: int | None = None) -> Message | None:
    """Insert the inbound row; None if the same provider message id was stored meanwhile."""
    message = Message(direction="in", channel="sms", provider=inbound.provider,
                      provider_message_id=inbound.provider_message_id, kind=kind, reporter_id=reporter_id,
                      coordinator_id=coordinator_id, body=inbound.body, status="received", attempts=0,
                      created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:                   # the same delivery, racing us
        return None
    return message


def reply_to(session: Session, inbound_id: int) -> Message | None:
    """The reply recorded for an inbound message, if any (a duplicate delivery repeats it)."""
    return session.scalar(select(Message).where(Message.in_reply_to_id == inbound_id)
                          .order_by(Message.id).limit(1))


def inbound_provider(session: Session, report_id: int) -> str | None:
    """The provider a report came in through: replies to the reporter go back the same way."""
    return session.scalar(select(Message.provider).where(
        Message.report_id == report_id, Message.direction == "in").order_by(Message.id).limit(1))
