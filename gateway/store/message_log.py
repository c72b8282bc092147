"""The message log: every inbound and outbound message, filtered and keyset-paginated.

Rows carry the reporter's pseudonym and encrypted number so that the web layer can show an
alias and a masked number; a clear number never leaves this module (it never enters it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gateway.access import Viewer
from gateway.store.models import Alert, Coordinator, Message, Report, Reporter
from gateway.store.report_queue import day_start, set_filters

EXPORT_BATCH = 2000


@dataclass(frozen=True)
class MessageFilters:
    direction: str = ""
    kind: str = ""
    status: str = ""
    channel: str = ""
    q: str = ""              # words in the text, or a report reference
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict:
        return set_filters(self)


@dataclass(frozen=True)
class LogRow:
    id: int
    created_at: datetime
    direction: str
    channel: str
    kind: str
    provider: str
    status: str
    failure_reason: str | None
    error_code: str | None
    body: str | None
    reference: str | None
    coordinator: str | None
    reporter_pseudonym: str | None
    reporter_number_encrypted: str | None


_COLUMNS = (Message.id, Message.created_at, Message.direction, Message.channel, Message.kind, Message.provider,
            Message.status, Message.failure_reason, Message.error_code, Message.body, Report.reference,
            Coordinator.name, Reporter.pseudonym, Reporter.number_encrypted)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(viewer: Viewer, filters: MessageFilters) -> list:
    conditions = []
    if not viewer.sees_all_reports:      # coordinators: the messages of their forums' reports only
        conditions.append(Message.report_id.in_(
            select(Alert.report_id).where(Alert.forum_id.in_(sorted(viewer.forum_ids) or [""]))))
    for column, value in ((Message.direction, filters.direction), (Message.kind, filters.kind),
                          (Message.status, filters.status), (Message.channel, filters.channel)):
        if value:
            conditions.append(column == value)
    if filters.q:
        # a scalar subquery, not the joined column: PostgreSQL can then OR two indexes (trigram, report_id)
        of_report = select(Report.id).where(Report.reference == filters.q.strip().upper()).scalar_subquery()
        conditions.append(or_(Message.body.ilike(_like(filters.q), escape="\\"), Message.report_id == of_report))
    if filters.date_from:
        conditions.append(Message.created_at >= day_start(filters.date_from))
    if filters.date_to:
        conditions.append(Message.created_at < day_start(filters.date_to + timedelta(days=1)))
    return conditions


def _dated(filters: MessageFilters) -> bool:
    return bool(filters.date_from or filters.date_to)


def _below(filters: MessageFilters, before_id: int):
    """The keyset condition: rows after the cursor row in the page order."""
    if not _dated(filters):
        return Message.id < before_id
    cursor_time = select(Message.created_at).where(Message.id == before_id).scalar_subquery()
    return and_(Message.created_at <= cursor_time,        # lets the time index bound the scan
                or_(Message.created_at < cursor_time, Message.id < before_id))


def _query(viewer: Viewer, filters: MessageFilters):
    # Newest first by id, whose index serves every filter; within a date range by time, so that
    # the created_at index finds the range instead of walking ids down to it.
    order = (Message.created_at.desc(), Message.id.desc()) if _dated(filters) else (Message.id.desc(),)
    return (select(*_COLUMNS)
            .outerjoin(Report, Report.id == Message.report_id)
            .outerjoin(Coordinator, Coordinator.id == Message.coordinator_id)
            .outerjoin(Reporter, Reporter.id == Message.reporter_id)
            .where(*_conditions(viewer, filters)).order_by(*order))


def message_page(session: Session, viewer: Viewer, filters: MessageFilters, *, before_id: int | None,
                 limit: int) -> list[LogRow]:
    """Newest first; the next page starts after the last row shown (keyset: as fast on page 10,000 as on page 1)."""
    query = _query(viewer, filters).limit(limit)
    if before_id:
        query = query.where(_below(filters, before_id))
    return [LogRow(*row) for row in session.execute(query)]


def message_export(session: Session, viewer: Viewer, filters: MessageFilters) -> Iterator[LogRow]:
    """Every matching row, newest first, read in keyset batches so memory stays flat."""
    before_id = None
    while True:
        rows = message_page(session, viewer, filters, before_id=before_id, limit=EXPORT_BATCH)
        yield from rows
        if len(rows) < EXPORT_BATCH:
            return
        before_id = rows[-1].id
