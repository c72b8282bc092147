"""Reports: the states the worker pipeline moves them through."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import Report, Reporter

UNPROCESSED = "received"
# Every state in which a report waits for a job; the sweeper re-enqueues reports left in one.
# The pipeline moves a report out of 'received' in a single transaction, so there is no
# half-processed state today; a stage added later that commits on its own adds its state here.
WAITING_FOR_JOB = (UNPROCESSED,)


def get_report(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)


def get_by_reference(session: Session, reference: str) -> Report | None:
    return session.scalar(select(Report).where(Report.reference == reference))


def reporter_report(session: Session, reference: str, reporter_id: int) -> Report | None:
    """A report by its reference, only if this reporter sent it: SUIVI never reveals another's."""
    return session.scalar(select(Report).where(Report.reference == reference, Report.reporter_id == reporter_id))


def incident_reports(session: Session, report: Report) -> list[Report]:
    """The report and the others of its incident: coordinators act on an incident as a whole."""
    if report.incident_id is None:
        return [report]
    return list(session.scalars(select(Report).where(Report.incident_id == report.incident_id).order_by(Report.id)))


def unprocessed_report_ids(session: Session, older_than: datetime, limit: int = 1000) -> list[int]:
    """Reports still waiting for a job (it was lost, or never enqueued). By creation time: a
    stage that commits on its own should also bump updated_at and be swept by that."""
    return list(session.scalars(
        select(Report.id).where(Report.status.in_(WAITING_FOR_JOB), Report.created_at <= older_than)
        .order_by(Report.id).limit(limit)))


def lock_for_processing(session: Session, report_id: int) -> tuple[Report, Reporter | None] | None:
    """The report (and its reporter) if it still waits for processing, locked against a concurrent worker."""
    query = (select(Report, Reporter).outerjoin(Reporter, Reporter.id == Report.reporter_id)
             .where(Report.id == report_id, Report.status == UNPROCESSED))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Report, skip_locked=True)
    row = session.execute(query).first()
    return (row[0], row[1]) if row else None


def cutoff(now: datetime, seconds: int) -> datetime:
    return now - timedelta(seconds=seconds)


HELD = "held"     # over the sender's rate limit: kept, shown to staff, processed when released


def held_reports(session: Session, limit: int = 200) -> list[Report]:
    return list(session.scalars(select(Report).where(Report.status == HELD).order_by(Report.id).limit(limit)))


def release_held(session: Session, reference: str, now: datetime) -> int | None:
    """Move a held report back to 'received' (the caller enqueues it); its id, or None."""
    report = session.scalar(select(Report).where(Report.reference == reference, Report.status == HELD))
    if report is None:
        return None
    report.status = UNPROCESSED
    report.updated_at = now
    return report.id
