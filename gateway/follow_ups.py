"""The optional follow-up to a reporter once a forum takes up their report.

Sent once (when the report first leaves routed/triage), only for the categories in
FOLLOW_UP_CATEGORIES (by default not gender-based violence nor violent extremism: a
later SMS can expose the reporter), never to a reporter who opted out. It goes back
through the provider the report came in by, when that provider can send.
"""
from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from gateway.providers import sending_provider
from gateway.replies import reporter_text
from gateway.store.inbound import inbound_provider
from gateway.store.models import Report, Reporter
from gateway.store.outbound import queue_outbound


class FollowUpSettings(Protocol):
    now: object
    follow_up_categories: frozenset[str]
    fallback_provider: str


def queue_follow_ups(session: Session, reports: list[Report], settings: FollowUpSettings) -> list[int]:
    """Queue a follow-up for each report that qualifies; return the new message ids."""
    message_ids = []
    for report in reports:
        reporter = session.get(Reporter, report.reporter_id) if report.reporter_id else None
        if report.category not in settings.follow_up_categories or not _reachable(reporter):
            continue
        provider = sending_provider(inbound_provider(session, report.id), settings.fallback_provider)
        message = queue_outbound(session, provider=provider, kind="follow_up", now=settings.now,
                                 body=reporter_text("follow_up", reporter.language, ref=report.reference),
                                 reporter_id=reporter.id, report_id=report.id)
        message_ids.append(message.id)
    return message_ids


def _reachable(reporter: Reporter | None) -> bool:
    return reporter is not None and not reporter.opted_out and bool(reporter.number_encrypted)
