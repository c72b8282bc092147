"""Retention (DESIGN §4): past the configured age, texts and number mappings go.

What stays is de-identified: report rows keep their category, place, status and dates (the
counts trends are built from) but lose their text, their structured answers and the link to
their reporter; messages keep their kind, status and dates but lose their body and reporter
link. A reporter left with nothing recent loses the encrypted number; the row itself goes
too unless it must remember an opt-out (STOP), which keeps only the keyed pseudonym.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session

from gateway.store.models import Message, Report, ReportCorrection, Reporter


@dataclass(frozen=True)
class PurgeCounts:
    reports: int
    messages: int
    corrections: int
    numbers: int
    reporters_deleted: int

    def as_dict(self) -> dict:
        return asdict(self)


def purge_before(session: Session, cutoff: datetime, now: datetime) -> PurgeCounts:
    old_reports = select(Report.id).where(Report.created_at < cutoff)
    corrections = session.execute(update(ReportCorrection).where(
        ReportCorrection.report_id.in_(old_reports), ReportCorrection.text.isnot(None)).values(text=None)).rowcount
    reports = session.execute(update(Report).where(
        Report.created_at < cutoff, (Report.text.isnot(None)) | (Report.reporter_id.isnot(None)))
        .values(text=None, details={}, reporter_id=None)).rowcount
    messages = session.execute(update(Message).where(
        Message.created_at < cutoff, (Message.body.isnot(None)) | (Message.reporter_id.isnot(None)))
        .values(body=None, reporter_id=None)).rowcount
    idle = and_(Reporter.created_at < cutoff,
                ~exists().where(Message.reporter_id == Reporter.id),
                ~exists().where(Report.reporter_id == Reporter.id))
    numbers = session.execute(update(Reporter).where(idle, Reporter.number_encrypted.isnot(None))
                              .values(number_encrypted=None, updated_at=now)).rowcount
    deleted = session.execute(delete(Reporter).where(idle, Reporter.opted_out.is_(False))).rowcount
    return PurgeCounts(reports=reports, messages=messages, corrections=corrections, numbers=numbers,
                       reporters_deleted=deleted)
