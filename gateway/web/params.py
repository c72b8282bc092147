"""Query-string parameters shared by the staff console and the JSON API: bad values get a 400."""
from __future__ import annotations

from datetime import date
from typing import Mapping

from werkzeug.exceptions import BadRequest

from gateway.categories import CATEGORIES
from gateway.store.message_log import MessageFilters
from gateway.store.report_queue import STATUSES, ReportFilters

MAX_TEXT = 200
MESSAGE_CHOICES = {
    "direction": ("in", "out"),
    # the vocabularies of Message.kind and Message.status (gateway/store/models.py)
    "kind": ("report", "command", "keyword", "receipt", "alert", "update", "reply", "follow_up", "opt_out",
             "warning", "digest", "relay_silence"),
    "status": ("received", "queued", "sending", "accepted", "sent", "delivered", "undelivered", "failed",
               "replied_inline", "suppressed", "read"),
    "channel": ("sms", "ussd"),
}


def choice(args: Mapping[str, str], name: str, allowed) -> str:
    value = (args.get(name) or "").strip()
    if value and value not in allowed:
        raise BadRequest(f"{name}: unknown value")
    return value


def text(args: Mapping[str, str], name: str) -> str:
    value = (args.get(name) or "").strip()
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{name}: at most {MAX_TEXT} characters")
    return value


def day(args: Mapping[str, str], name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: a date like 2026-11-02") from None


def cursor(args: Mapping[str, str]) -> int | None:
    value = (args.get("before") or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise BadRequest("before: a message or report id")
    return int(value)


def report_filters(args: Mapping[str, str], forum_ids, pcodes) -> ReportFilters:
    return ReportFilters(category=choice(args, "category", CATEGORIES), region=choice(args, "region", pcodes),
                         cercle=choice(args, "cercle", pcodes), forum=choice(args, "forum", forum_ids),
                         status=choice(args, "status", STATUSES), date_from=day(args, "from"),
                         date_to=day(args, "to"), overdue=args.get("overdue") in ("1", "on", "true"))


def message_filters(args: Mapping[str, str]) -> MessageFilters:
    choices = {name: choice(args, name, allowed) for name, allowed in MESSAGE_CHOICES.items()}
    return MessageFilters(**choices, q=text(args, "q"), date_from=day(args, "from"), date_to=day(args, "to"))


def query_args(filters_dict: dict, before: int | None = None) -> dict:
    """Filters as URL parameters (dates as from/to, the overdue flag as 1), plus the next cursor."""
    renamed = {"date_from": "from", "date_to": "to"}
    args = {renamed.get(key, key): ("1" if value is True else value) for key, value in filters_dict.items()}
    if before:
        args["before"] = before
    return args
