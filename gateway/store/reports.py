"""Reports: the states the worker pipeline moves them through."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import Report, Reporter

UNPROCESSED = "received"


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
    """Reports still waiting for the pipeline (their job was lost, or never enqueued)."""
    return list(session.scalars(
        select(Report.id).where(Report.status == UNPROCESSED, Report.created_at <= older_than)
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
