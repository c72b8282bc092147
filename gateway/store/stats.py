"""Counts for /metrics, computed from the database at scrape time (the source of truth)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.store.models import Message, Report


def inbound_counts(session: Session) -> list[tuple[str, str, int]]:
    """(provider, channel, messages received) — rows are never deleted, so this only grows."""
    return [tuple(row) for row in session.execute(
        select(Message.provider, Message.channel, func.count()).where(Message.direction == "in")
        .group_by(Message.provider, Message.channel))]


def outbound_counts(session: Session) -> list[tuple[str, str, int]]:
    """(kind, status, messages): sends by status."""
    return [tuple(row) for row in session.execute(
        select(Message.kind, Message.status, func.count()).where(Message.direction == "out")
        .group_by(Message.kind, Message.status))]


def report_counts(session: Session) -> list[tuple[str, int]]:
    return [tuple(row) for row in session.execute(
        select(Report.status, func.count()).group_by(Report.status))]
