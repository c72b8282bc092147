"""The message log: every inbound and outbound message, searchable, exportable as CSV."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from flask import Response, g, render_template, request, stream_with_context

from gateway.masking import message_party
from gateway.store.message_log import LogRow, message_export
from gateway.web import params, runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint
from gateway.web.listing import next_cursor, searched_messages

PAGE_SIZE = 50
CSV_COLUMNS = ("id", "created_at", "direction", "channel", "kind", "provider", "party", "masked_number",
               "reference", "status", "failure_reason", "error_code", "body")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def party(row: LogRow) -> tuple[str, str]:
    """Who the message was from or to: the coordinator's name, or the reporter's alias and masked number."""
    return message_party(runtime().pseudonymiser, row.coordinator, row.reporter_pseudonym,
                         row.reporter_number_encrypted)


@blueprint.get("/messages")
def messages():
    filters, rows = searched_messages(PAGE_SIZE)
    cursor = next_cursor(rows, PAGE_SIZE)
    next_args = params.query_args(filters.as_dict(), cursor) if cursor else None
    return render_template("console/messages.html", rows=[(row, *party(row)) for row in rows], filters=filters,
                           choices=params.MESSAGE_CHOICES, next_args=next_args,
                           export_args=params.query_args(filters.as_dict()))


def csv_cell(value) -> str:
    """Text a spreadsheet will not run as a formula: an SMS body is written by anyone."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(value) for value in values])
    return buffer.getvalue()


@blueprint.get("/messages.csv")
def messages_csv():
    filters = params.message_filters(request.args)
    with runtime().transaction() as db:
        audit(db, "messages.export", filters=filters.as_dict())
    viewer = g.viewer

    def lines():
        yield csv_line(CSV_COLUMNS)
        with runtime().transaction() as db:
            for row in message_export(db, viewer, filters):
                name, masked = party(row)
                yield csv_line((row.id, row.created_at.isoformat(), row.direction, row.channel, row.kind,
                                row.provider, name, masked, row.reference, row.status, row.failure_reason,
                                row.error_code, row.body))

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(lines()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="messages-{stamp}.csv"'})
