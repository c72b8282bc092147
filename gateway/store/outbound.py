"""Outbound messages: queued in the database first, then handed to a provider by a job.

A send happens in three short steps so that no database session is held across the
provider call: claim (queued -> sending), call the provider, record the outcome.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.store.db import attach, hot_statement
from gateway.store.models import Coordinator, Message, Reporter

# Delivery statuses only move forward: callbacks arrive out of order (protocols.md §1.6).
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "replied_inline": 2, "delivered": 3,
               "undelivered": 3, "failed": 3, "read": 4}
FINAL = {"delivered", "undelivered", "failed", "read"}


@dataclass(frozen=True)
class SendTask:
    """What a send job needs, read in one short transaction."""
    message_id: int
    provider: str
    body: str
    coordinator_phone: str | None
    reporter_number_encrypted: str | None
    attempts: int
    # Set when a worker died mid-send: the provider may or may not have the message since then.
    uncertain_since: datetime | None = None


def queue_outbound(session: Session, *, provider: str, kind: str, body: str, now: datetime,
                   coordinator_id: int | None = None, reporter_id: int | None = None,
                   report_id: int | None = None, status: str = "queued") -> Message:
    row = session.connection().execute(_outbound_insert(session), {
        "direction": "out", "channel": "sms", "provider": provider, "kind": kind, "body": body,
        "coordinator_id": coordinator_id, "reporter_id": reporter_id, "report_id": report_id,
        "status": status, "attempts": 0, "created_at": now, "updated_at": now}).one()
    return attach(session, Message, row)


@hot_statement
def _outbound_insert(insert):
    """One INSERT … RETURNING, built once: cheaper than an ORM flush on the webhook's path."""
    return insert(Message.__table__).returning(*Message.__table__.c)


def claim_for_send(session: Session, message_id: int, now: datetime) -> SendTask | None:
    """Move a queued message to 'sending'; None if another run already has it or it is done."""
    # A provider id means the provider took it (Twilio answers 'queued'): never hand it over twice.
    claimed = session.execute(
        update(Message).where(Message.id == message_id, Message.status == "queued",
                              Message.provider_message_id.is_(None))
        .values(status="sending", attempts=Message.attempts + 1, updated_at=now))
    if claimed.rowcount != 1:
        return None
    return _send_task(session, message_id)


def claim_stuck(session: Session, message_id: int, now: datetime, stuck_seconds: int) -> SendTask | None:
    """Take over a message left 'sending' longer than stuck_seconds by a worker that died.

    The old claim's time is kept in `uncertain_since`: the provider may have accepted the
    message after it, and the caller asks the provider before sending again.
    """
    since = session.scalar(select(Message.updated_at).where(
        Message.id == message_id, Message.status == "sending",
        Message.updated_at <= now - timedelta(seconds=stuck_seconds)))
    if since is None:
        return None
    claimed = session.execute(      # compare-and-set: only one sweeper-driven run takes it over
        update(Message).where(Message.id == message_id, Message.status == "sending", Message.updated_at == since)
        .values(attempts=Message.attempts + 1, updated_at=now))
    if claimed.rowcount != 1:
        return None
    return replace(_send_task(session, message_id), uncertain_since=since)


def _send_task(session: Session, message_id: int) -> SendTask:
    message = session.get(Message, message_id)
    phone = session.scalar(select(Coordinator.phone).where(Coordinator.id == message.coordinator_id)) \
        if message.coordinator_id else None
    encrypted = session.scalar(select(Reporter.number_encrypted).where(Reporter.id == message.reporter_id)) \
        if message.reporter_id and not message.coordinator_id else None
    return SendTask(message_id=message.id, provider=message.provider, body=message.body or "",
                    coordinator_phone=phone, reporter_number_encrypted=encrypted,
                    attempts=message.attempts)


def record_sent(session: Session, message_id: int, *, provider_message_id: str | None,
                status: str, segments: int | None, now: datetime) -> None:
    session.execute(update(Message).where(Message.id == message_id).values(
        provider_message_id=provider_message_id, status=status, segments=segments,
        failure_reason=None, updated_at=now))


def record_retry(session: Session, message_id: int, reason: str, code: str | None, now: datetime) -> None:
    """Back to 'queued' so the next attempt can claim it; the reason stays visible meanwhile."""
    session.execute(update(Message).where(Message.id == message_id).values(
        status="queued", failure_reason=reason[:200], error_code=code, updated_at=now))


def record_failure(session: Session, message_id: int, reason: str, code: str | None, now: datetime) -> None:
    session.execute(update(Message).where(Message.id == message_id).values(
        status="failed", failure_reason=reason[:200], error_code=code, updated_at=now))


def apply_delivery_status(session: Session, provider: str, provider_message_id: str, status: str,
                          error_code: str | None, now: datetime) -> bool:
    """Record a delivery callback; a status never moves back. False if the message is unknown."""
    message = session.scalar(select(Message).where(
        Message.provider == provider, Message.provider_message_id == provider_message_id,
        Message.direction == "out"))
    if message is None:
        return False
    if STATUS_RANK.get(status, -1) > STATUS_RANK.get(message.status, -1):
        message.status = status
        message.updated_at = now
        if error_code:
            message.error_code = error_code[:32]
            message.failure_reason = f"provider error {error_code}"[:200]
    return True


def stale_queued_ids(session: Session, now: datetime, grace_seconds: int, limit: int = 1000) -> list[int]:
    """Outbound messages queued for longer than the grace period: their job may be lost."""
    older_than = now - timedelta(seconds=grace_seconds)
    return list(session.scalars(select(Message.id).where(
        Message.direction == "out", Message.status == "queued", Message.provider_message_id.is_(None),
        Message.updated_at <= older_than)
        .order_by(Message.id).limit(limit)))


def stuck_sending_ids(session: Session, now: datetime, stuck_seconds: int, limit: int = 1000) -> list[int]:
    """Outbound messages claimed for sending longer ago than any send can take."""
    older_than = now - timedelta(seconds=stuck_seconds)
    return list(session.scalars(select(Message.id).where(
        Message.direction == "out", Message.status == "sending", Message.updated_at <= older_than)
        .order_by(Message.id).limit(limit)))
