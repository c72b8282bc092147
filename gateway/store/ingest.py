"""Make an inbound message durable: message row and report row in one transaction.

This is the hot path of a flood of reports, so it is two INSERT statements and no
savepoint or read-before-write (bench/results/ingest.md): the report first, then the
message that points at it, which the unique (provider, provider_message_id) key turns
into a no-op for a repeated delivery.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.refcodes import new_reference
from gateway.store.db import hot_statement
from gateway.store.models import Message, Report, Reporter

_REFERENCE_ATTEMPTS = 5
_MESSAGES = Message.__table__
_REPORTS = Report.__table__


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
    """Insert the inbound message and its report; a repeated provider id creates nothing.

    A repeated delivery, even one racing the first (its insert waits for the first
    transaction), inserts no message; the report drawn for it is deleted again in the
    same transaction and the first delivery's reference is returned.
    """
    report_id, reference = _insert_report(session, reporter, new, now)
    message_id = _insert_message(session, reporter, new, report_id, now)
    if message_id is not None:
        return Ingested(report_id=report_id, reference=reference, duplicate=False, message_id=message_id)
    session.execute(delete(_REPORTS).where(_REPORTS.c.id == report_id))
    return _duplicate_of(session, new)


@hot_statement
def _report_insert(insert):
    """A reference already taken inserts nothing (and the caller draws another)."""
    return insert(_REPORTS).on_conflict_do_nothing(index_elements=[_REPORTS.c.reference]).returning(_REPORTS.c.id)


@hot_statement
def _message_insert(insert):
    """A provider message id already stored inserts nothing: that is how duplicates are found."""
    return insert(_MESSAGES).on_conflict_do_nothing(
        index_elements=[_MESSAGES.c.provider, _MESSAGES.c.provider_message_id]).returning(_MESSAGES.c.id)


def _insert_report(session: Session, reporter: Reporter, new: NewReport, now: datetime) -> tuple[int, str]:
    row = {"channel": new.channel, "reporter_id": reporter.id, "language": reporter.language,
           "text": storable(new.body), "details": new.details, "places": [], "status": new.status,
           "created_at": now, "updated_at": now}
    for attempt in range(_REFERENCE_ATTEMPTS):
        # The pre-drawn code first (the reporter may already hold it); a fresh one on collision.
        reference = new.reference if attempt == 0 and new.reference else new_reference()
        report_id = session.connection().execute(_report_insert(session), {**row, "reference": reference}).scalar()
        if report_id is not None:
            return report_id, reference
    raise RuntimeError("could not draw a free reference code")   # 5 collisions in 148 million codes


def _insert_message(session: Session, reporter: Reporter, new: NewReport, report_id: int,
                    now: datetime) -> int | None:
    """The inbound message row's id; None if this provider message id is already stored."""
    inserted = session.connection().execute(_message_insert(session), {
        "direction": "in", "channel": new.channel, "provider": new.provider,
        "provider_message_id": new.provider_message_id, "kind": "report", "reporter_id": reporter.id,
        "report_id": report_id, "body": storable(new.body), "status": "received", "attempts": 0,
        "created_at": now, "updated_at": now})
    return inserted.scalar()


def storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL; some gateways send one (GSM 0x00 is '@'). Keep the rest."""
    return text.replace("\x00", "\ufffd")


def _duplicate_of(session: Session, new: NewReport) -> Ingested:
    row = session.execute(
        select(Message.id, Report.id, Report.reference).outerjoin(Report, Report.id == Message.report_id)
        .where(Message.provider == new.provider, Message.provider_message_id == new.provider_message_id)).first()
    message_id, report_id, reference = row if row is not None else (None, None, None)
    return Ingested(report_id=report_id, reference=reference, duplicate=True, message_id=message_id)
