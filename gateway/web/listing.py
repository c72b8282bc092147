"""The list reads the console and the JSON API share: parse, query, audit, in one transaction."""
from __future__ import annotations

from flask import g, request

from gateway import areas
from gateway.store.forum_edit import all_forums
from gateway.store.message_log import LogRow, MessageFilters, message_page
from gateway.store.report_queue import ReportFilters, ReportRow, report_page
from gateway.web import params, runtime
from gateway.web.audit_trail import audit


def searched_messages(page_size: int) -> tuple[MessageFilters, list[LogRow]]:
    filters = params.message_filters(request.args)
    before = params.cursor(request.args)
    with runtime().transaction() as db:
        rows = message_page(db, g.viewer, filters, before_id=before, limit=page_size)
        audit(db, "messages.search", filters=filters.as_dict(), before=before, shown=len(rows))
    return filters, rows


def listed_reports(page_size: int) -> tuple[ReportFilters, list[ReportRow], list]:
    """(filters, rows, the forums this viewer may filter by)."""
    with runtime().transaction() as db:
        forums = all_forums(db, None if g.viewer.sees_all_reports else g.viewer.forum_ids)
        filters = params.report_filters(request.args, [forum.id for forum in forums], areas.names())
        before = params.cursor(request.args)
        rows = report_page(db, g.viewer, filters, before_id=before, limit=page_size, now=runtime().now())
        audit(db, "reports.list", filters=filters.as_dict(), before=before, shown=len(rows))
    return filters, rows, forums


def next_cursor(rows: list, page_size: int) -> int | None:
    """A full page may have a next one, starting below its last id."""
    return rows[-1].id if len(rows) == page_size else None
