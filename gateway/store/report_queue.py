"""Reports as staff read them: filtered, keyset-paginated, limited to what the viewer may see.

Every query here goes through `visible_to(viewer)`: a coordinator's limit to their own forums
is enforced where the rows are read, so no page, export or API call can forget it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session

from gateway.access import Viewer
from gateway.store.models import Alert, Forum, Report

UNACKNOWLEDGED = ("pending", "escalated")
SETTLED = ("acknowledged", "closed")
STATUSES = ("received", "held", "routed", "triage", "acknowledged", "closed")   # held: over a rate limit


def set_filters(filters) -> dict:
    """The filters of a filter dataclass that are set, for the audit log and links to the next page."""
    values = {key: getattr(filters, key) for key in filters.__dataclass_fields__}
    return {key: (value.isoformat() if isinstance(value, date) else value) for key, value in values.items() if value}


@dataclass(frozen=True)
class ReportFilters:
    category: str = ""
    region: str = ""
    cercle: str = ""
    forum: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False

    def as_dict(self) -> dict:
        return set_filters(self)


@dataclass(frozen=True)
class ReportRow:
    id: int
    reference: str
    created_at: datetime
    channel: str
    category: str | None
    urgency: str | None
    region_pcode: str | None
    cercle_pcode: str | None
    status: str
    forum_ids: tuple[str, ...] = ()
    overdue: bool = False


def visible_to(viewer: Viewer):
    """The SQL condition for the reports this viewer may read."""
    if viewer.sees_all_reports:
        return Report.id.isnot(None)
    if not viewer.forum_ids:
        return false()
    return exists().where(Alert.report_id == Report.id, Alert.forum_id.in_(sorted(viewer.forum_ids)))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)   # Mali is on UTC all year


def _overdue(session: Session, now: datetime):
    """An unacknowledged alert older than its forum's acknowledgement time, on an unsettled report."""
    windows = [and_(Alert.forum_id == forum_id, Alert.created_at < now - timedelta(hours=hours))
               for forum_id, hours in session.execute(select(Forum.id, Forum.ack_within_hours))]
    if not windows:
        return false()
    return and_(Report.status.notin_(SETTLED),
                exists().where(Alert.report_id == Report.id, Alert.status.in_(UNACKNOWLEDGED), or_(*windows)))


def _conditions(session: Session, viewer: Viewer, filters: ReportFilters, now: datetime) -> list:
    conditions = [visible_to(viewer)]
    for column, value in ((Report.category, filters.category), (Report.region_pcode, filters.region),
                          (Report.cercle_pcode, filters.cercle), (Report.status, filters.status)):
        if value:
            conditions.append(column == value)
    if filters.forum:
        conditions.append(exists().where(Alert.report_id == Report.id, Alert.forum_id == filters.forum))
    if filters.date_from:
        conditions.append(Report.created_at >= day_start(filters.date_from))
    if filters.date_to:
        conditions.append(Report.created_at < day_start(filters.date_to + timedelta(days=1)))
    if filters.overdue:
        conditions.append(_overdue(session, now))
    return conditions


def report_page(session: Session, viewer: Viewer, filters: ReportFilters, *, before_id: int | None,
                limit: int, now: datetime) -> list[ReportRow]:
    """Newest first; the next page starts below the last id shown (keyset, no OFFSET)."""
    query = select(Report).where(*_conditions(session, viewer, filters, now)).order_by(Report.id.desc()).limit(limit)
    if before_id:
        query = query.where(Report.id < before_id)
    reports = list(session.scalars(query))
    alerts = _alerts_by_report(session, [report.id for report in reports])
    hours = dict(session.execute(select(Forum.id, Forum.ack_within_hours)).all())
    return [_row(report, alerts.get(report.id, []), hours, now) for report in reports]


def _alerts_by_report(session: Session, report_ids: list[int]) -> dict[int, list[Alert]]:
    grouped: dict[int, list[Alert]] = {}
    if report_ids:
        for alert in session.scalars(select(Alert).where(Alert.report_id.in_(report_ids)).order_by(Alert.id)):
            grouped.setdefault(alert.report_id, []).append(alert)
    return grouped


def is_overdue(report: Report, alerts: list[Alert], hours: dict[str, int], now: datetime) -> bool:
    if report.status in SETTLED:
        return False
    return any(alert.status in UNACKNOWLEDGED and
               _aware(alert.created_at) + timedelta(hours=hours.get(alert.forum_id, 24)) < now
               for alert in alerts)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)   # SQLite drops the zone


def _row(report: Report, alerts: list[Alert], hours: dict[str, int], now: datetime) -> ReportRow:
    return ReportRow(id=report.id, reference=report.reference, created_at=report.created_at,
                     channel=report.channel, category=report.category, urgency=report.urgency,
                     region_pcode=report.region_pcode, cercle_pcode=report.cercle_pcode, status=report.status,
                     forum_ids=tuple(dict.fromkeys(alert.forum_id for alert in alerts)),
                     overdue=is_overdue(report, alerts, hours, now))


def visible_report(session: Session, viewer: Viewer, reference: str) -> Report | None:
    """The report with this reference if the viewer may read it; None otherwise (also when unknown)."""
    return session.scalar(select(Report).where(Report.reference == reference.strip().upper(), visible_to(viewer)))
