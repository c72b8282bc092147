"""Reports: the states the worker pipeline moves them through."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
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


def lock_waiting_first(session: Session, first: list[int], limit: int,
                       leave_out: frozenset[int] = frozenset()) -> list[WaitingReport]:
    """Reports still waiting for processing, locked against concurrent workers, in id order.

    The job's own reports (`first`) are taken first if they still wait, then the oldest others
    (none of `leave_out`), up to `limit` in all (or all of `first`, if more); with a limit of
    len(first), only the job's own. PostgreSQL: rows another worker holds are skipped (SKIP
    LOCKED), so two batches never share a report and never wait on each other. SQLite has one
    writer at a time. The reports come detached from the session: the caller writes what it
    changes with save_processed, in one statement for all.
    """
    query = (select(*Report.__table__.c, Reporter.last_area_pcode.label("reporter_last_area"))
             .outerjoin(Reporter, Reporter.id == Report.reporter_id).where(Report.status == UNPROCESSED))
    if limit <= len(first):
        query = query.where(Report.id.in_(first))
    else:
        query = query.order_by(Report.id.in_(first).desc(), Report.id).limit(limit)
        if leave_out - set(first):
            query = query.where(Report.id.not_in(leave_out - set(first)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Report.__table__, skip_locked=True)
    rows = session.execute(query).all()
    waiting = [WaitingReport(Report(**{column.key: row._mapping[column] for column in Report.__table__.c}),
                             row.reporter_last_area) for row in rows]
    return sorted(waiting, key=lambda item: item.report.id)


@dataclass(frozen=True)
class WaitingReport:
    report: Report                      # not in the session: changes are written by save_processed
    reporter_last_area: str | None


_PROCESSED_COLUMNS = ("status", "category", "confidence", "urgency", "places", "region_pcode", "cercle_pcode",
                      "commune_pcode", "incident_id", "processed_at", "updated_at")
_SAVE_PROCESSED = (update(Report.__table__).where(Report.__table__.c.id == bindparam("report_id"))
                   .values({name: bindparam(f"new_{name}") for name in _PROCESSED_COLUMNS}))
_SAVE_AREA = (update(Reporter.__table__).where(Reporter.__table__.c.id == bindparam("reporter_id"))
              .values(last_area_pcode=bindparam("new_area")))


def save_processed(session: Session, reports: list[Report], reporter_areas: dict[int, str]) -> None:
    """Write what processing found, one executemany per table for the whole batch.

    Reporters in id order: two batches touching the same reporters lock them in one order.
    """
    if reports:
        session.execute(_SAVE_PROCESSED, [
            dict(report_id=report.id, **{f"new_{name}": getattr(report, name) for name in _PROCESSED_COLUMNS})
            for report in reports])
    if reporter_areas:
        session.execute(_SAVE_AREA, [dict(reporter_id=reporter_id, new_area=area)
                                     for reporter_id, area in sorted(reporter_areas.items())])


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
