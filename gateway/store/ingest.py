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


@dataclass(frozen=True)
class ReportDraft:
    """One report to insert for a reporter already stored."""
    reporter_id: int
    language: str
    new: NewReport


def record_report(session: Session, reporter: Reporter, new: NewReport, now: datetime) -> Ingested:
    """Insert the inbound message and its report; a repeated provider id creates nothing."""
    return record_reports(session, [ReportDraft(reporter.id, reporter.language, new)], now)[0]


def record_reports(session: Session, drafts: list[ReportDraft], now: datetime) -> list[Ingested]:
    """Insert each draft's report and inbound message: two multi-row INSERTs for any number.

    A repeated delivery, even one racing the first (its insert waits for the first
    transaction) or given twice in `drafts`, inserts no message; the report drawn for it is
    deleted again in the same transaction and the first delivery's reference is returned.
    """
    report_ids, references = _insert_reports(session, drafts, now)
    message_ids = _insert_messages(session, drafts, report_ids, now)
    repeated = [report_id for report_id, message_id in zip(report_ids, message_ids) if message_id is None]
    if repeated:
        session.execute(delete(_REPORTS).where(_REPORTS.c.id.in_(repeated)))
    return [Ingested(report_id=report_id, reference=reference, duplicate=False, message_id=message_id)
            if message_id is not None else _duplicate_of(session, draft.new)
            for draft, report_id, reference, message_id in zip(drafts, report_ids, references, message_ids)]


@hot_statement
def _report_insert(insert):
    """A reference already taken inserts nothing (and the caller draws another)."""
    return insert(_REPORTS).on_conflict_do_nothing(
        index_elements=[_REPORTS.c.reference]).returning(_REPORTS.c.id, _REPORTS.c.reference)


@hot_statement
def _message_insert(insert):
    """A provider message id already stored inserts nothing: that is how duplicates are found."""
    return insert(_MESSAGES).on_conflict_do_nothing(
        index_elements=[_MESSAGES.c.provider, _MESSAGES.c.provider_message_id]).returning(
        _MESSAGES.c.id, _MESSAGES.c.provider, _MESSAGES.c.provider_message_id)


def _insert_reports(session: Session, drafts: list[ReportDraft], now: datetime) -> tuple[list[int], list[str]]:
    """Report ids and references, in the order of `drafts`.

    Rows come back in no promised order, so each is matched by its reference; a reference
    taken (or drawn twice here) is skipped by the INSERT and drawn again for that draft only.
    """
    ids: list[int | None] = [None] * len(drafts)
    references: list[str | None] = [None] * len(drafts)
    for attempt in range(_REFERENCE_ATTEMPTS):
        waiting = [index for index, report_id in enumerate(ids) if report_id is None]
        if not waiting:
            return ids, references
        for index in waiting:
            # The pre-drawn code first (the reporter may already hold it); a fresh one on collision.
            given = drafts[index].new.reference
            references[index] = given if attempt == 0 and given else new_reference()
        rows = session.connection().execute(_report_insert(session), [
            _report_row(drafts[index], references[index], now) for index in waiting]).all()
        _match(rows, {index: references[index] for index in waiting}, ids)
    if None in ids:
        raise RuntimeError("could not draw a free reference code")   # 5 collisions in 148 million codes
    return ids, references


def _report_row(draft: ReportDraft, reference: str, now: datetime) -> dict:
    new = draft.new
    return {"channel": new.channel, "reporter_id": draft.reporter_id, "language": draft.language,
            "text": storable(new.body), "details": new.details, "places": [], "status": new.status,
            "created_at": now, "updated_at": now, "reference": reference}


def _insert_messages(session: Session, drafts: list[ReportDraft], report_ids: list[int],
                     now: datetime) -> list[int | None]:
    """The inbound message ids, in the order of `drafts`; None where the provider id is already stored."""
    rows = session.connection().execute(_message_insert(session), [{
        "direction": "in", "channel": draft.new.channel, "provider": draft.new.provider,
        "provider_message_id": draft.new.provider_message_id, "kind": "report",
        "reporter_id": draft.reporter_id, "report_id": report_id, "body": storable(draft.new.body),
        "status": "received", "attempts": 0, "created_at": now, "updated_at": now}
        for draft, report_id in zip(drafts, report_ids)]).all()
    ids: list[int | None] = [None] * len(drafts)
    _match([(row.id, (row.provider, row.provider_message_id)) for row in rows],
           {index: (draft.new.provider, draft.new.provider_message_id) for index, draft in enumerate(drafts)}, ids)
    return ids


def _match(rows, keys: dict[int, object], ids: list) -> None:
    """Put each returned (id, key) at the first index waiting with that key; the rest stay None."""
    waiting: dict[object, list[int]] = {}
    for index, key in keys.items():
        waiting.setdefault(key, []).append(index)
    for row_id, key in rows:
        ids[waiting[key].pop(0)] = row_id


def storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL; some gateways send one (GSM 0x00 is '@'). Keep the rest."""
    return text.replace("\x00", "\ufffd")


def _duplicate_of(session: Session, new: NewReport) -> Ingested:
    row = session.execute(
        select(Message.id, Report.id, Report.reference).outerjoin(Report, Report.id == Message.report_id)
        .where(Message.provider == new.provider, Message.provider_message_id == new.provider_message_id)).first()
    message_id, report_id, reference = row if row is not None else (None, None, None)
    return Ingested(report_id=report_id, reference=reference, duplicate=True, message_id=message_id)
