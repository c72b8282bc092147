"""Make an inbound message durable: message row and report row in one transaction."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.refcodes import new_reference
from gateway.store.models import Message, Report, Reporter

_REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class NewReport:
    provider: str
    provider_message_id: str
    channel: str                 # sms | ussd
    body: str
    details: dict = field(default_factory=dict)
    reference: str | None = None     # drawn before a spool write, so the replay keeps the receipt's code
    status: str = "received"         # or "held": over the sender's rate limit, kept for staff


@dataclass(frozen=True)
class Ingested:
    report_id: int | None
    reference: str | None
    duplicate: bool
    message_id: int | None = None        # the inbound message (a reply links to it)


def find_inbound(session: Session, provider: str, provider_message_id: str) -> Message | None:
    return session.scalar(select(Message).where(
        Message.provider == provider, Message.provider_message_id == provider_message_id))


def record_report(session: Session, reporter: Reporter, new: NewReport, now: datetime) -> Ingested:
    """Insert the inbound message and its report; a repeated provider id creates nothing."""
    existing = find_inbound(session, new.provider, new.provider_message_id)
    if existing is not None:
        return _duplicate_of(session, existing)
    try:
        with session.begin_nested():
            message = _inbound_message(reporter, new, now)
            session.add(message)
            session.flush()
    except IntegrityError:                        # the same delivery, racing us
        return _duplicate_of(session, find_inbound(session, new.provider, new.provider_message_id))
    report = _insert_report(session, reporter, new, now)
    message.report_id = report.id
    return Ingested(report_id=report.id, reference=report.reference, duplicate=False, message_id=message.id)


def _inbound_message(reporter: Reporter, new: NewReport, now: datetime) -> Message:
    return Message(direction="in", channel=new.channel, provider=new.provider,
                   provider_message_id=new.provider_message_id, kind="report",
                   reporter_id=reporter.id, body=storable(new.body), status="received", attempts=0,
                   created_at=now, updated_at=now)


def _insert_report(session: Session, reporter: Reporter, new: NewReport, now: datetime) -> Report:
    for attempt in range(_REFERENCE_ATTEMPTS):
        # The pre-drawn code first (the reporter may already hold it); a fresh one on collision.
        reference = new.reference if attempt == 0 and new.reference else new_reference()
        try:
            with session.begin_nested():
                report = Report(reference=reference, channel=new.channel, reporter_id=reporter.id,
                                language=reporter.language, text=storable(new.body), details=new.details,
                                places=[], status=new.status, created_at=now, updated_at=now)
                session.add(report)
                session.flush()
            return report
        except IntegrityError:                    # reference collision: draw another
            continue
    raise RuntimeError("could not draw a free reference code")


def storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL; some gateways send one (GSM 0x00 is '@'). Keep the rest."""
    return text.replace("\x00", "\ufffd")


def _duplicate_of(session: Session, message: Message) -> Ingested:
    report = session.get(Report, message.report_id) if message.report_id else None
    return Ingested(report_id=report.id if report else None,
                    reference=report.reference if report else None, duplicate=True, message_id=message.id)
