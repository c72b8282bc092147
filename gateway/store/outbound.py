"""Outbound messages: queued in the database first, then handed to a provider by a job.

A send happens in three short steps so that no database session is held across the
provider call: claim (queued -> sending), call the provider, record the outcome.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import String, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from gateway.store.db import attach, hot_statement
from gateway.store.models import Coordinator, Message, Reporter

# Delivery statuses only move forward: callbacks arrive out of order (protocols.md §1.6).
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "replied_inline": 2, "delivered": 3,
               "undelivered": 3, "failed": 3, "suppressed": 3, "read": 4}
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
    kind: str = "alert"
    reporter_opted_out: bool = False
    # Set when a worker died mid-send: the provider may or may not have the message since then.
    uncertain_since: datetime | None = None
    # When this run's claim was written (the message's updated_at): renew_claims compares it.
    claimed_at: datetime | None = None


def queue_outbound(session: Session, *, provider: str, kind: str, body: str, now: datetime,
                   coordinator_id: int | None = None, reporter_id: int | None = None,
                   report_id: int | None = None, status: str = "queued",
                   in_reply_to_id: int | None = None, failure_reason: str | None = None) -> Message:
    row = session.connection().execute(_outbound_insert(session), outbound_row(
        provider=provider, kind=kind, body=body, now=now, coordinator_id=coordinator_id,
        reporter_id=reporter_id, report_id=report_id, status=status, in_reply_to_id=in_reply_to_id,
        failure_reason=failure_reason)).one()
    return attach(session, Message, row)


def outbound_row(*, provider: str, kind: str, body: str, now: datetime, coordinator_id: int | None = None,
                 reporter_id: int | None = None, report_id: int | None = None, status: str = "queued",
                 in_reply_to_id: int | None = None, failure_reason: str | None = None) -> dict:
    """The parameters of one outbound message row, for queue_outbound or insert_outbound."""
    return {"direction": "out", "channel": "sms", "provider": provider, "kind": kind, "body": body,
            "coordinator_id": coordinator_id, "reporter_id": reporter_id, "report_id": report_id,
            "status": status, "attempts": 0, "created_at": now, "updated_at": now,
            "in_reply_to_id": in_reply_to_id, "failure_reason": failure_reason}


def insert_outbound(session: Session, rows: list[dict]) -> list[int]:
    """Insert outbound_row()s in one multi-row INSERT; their ids, in the order given."""
    if not rows:
        return []
    return list(session.connection().execute(_outbound_ids_insert(session), rows).scalars())


@hot_statement
def _outbound_insert(insert):
    """One INSERT … RETURNING, built once: cheaper than an ORM flush on the webhook's path."""
    return insert(Message.__table__).returning(*Message.__table__.c)


@hot_statement
def _outbound_ids_insert(insert):
    return insert(Message.__table__).returning(Message.__table__.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True)
class NewCoordinatorMessage:
    """An outbound message to a coordinator, as inserted in bulk by queue_to_coordinators."""
    id: int
    coordinator_id: int
    provider: str
    kind: str
    body: str
    attempts: int


@dataclass(frozen=True)
class CoordinatorBody:
    """One message queue_to_coordinators inserts: to whom, what, about which report."""
    coordinator_id: int
    body: str
    report_id: int
    kind: str
    provider: str | None = None     # a forum's own provider; None: queue_to_coordinators' provider


def queue_to_coordinators(session: Session, *, provider: str, now: datetime, bodies: list[CoordinatorBody],
                          claimed: bool = False) -> list[NewCoordinatorMessage]:
    """Insert one message per CoordinatorBody in one INSERT ... RETURNING, whatever their reports.

    `claimed`: the messages start as 'sending' (attempt 1), for a caller that sends them
    itself right after commit (claimed_task).
    """
    if not bodies:
        return []
    status, attempts = ("sending", 1) if claimed else ("queued", 0)
    ids = session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), [
        dict(direction="out", channel="sms", provider=b.provider or provider, kind=b.kind, body=b.body,
             coordinator_id=b.coordinator_id, report_id=b.report_id, status=status, attempts=attempts,
             created_at=now, updated_at=now)
        for b in bodies]).all()
    return [NewCoordinatorMessage(message_id, b.coordinator_id, b.provider or provider, b.kind, b.body, attempts)
            for message_id, b in zip(ids, bodies)]


def claim_for_send(session: Session, message_ids: list[int], now: datetime) -> list[SendTask]:
    """Move queued messages to 'sending'; those another run already has, or that are done, are left out.

    One statement whatever the number of messages: the claim returns what the sends need
    (the recipient's columns through correlated subqueries). A provider id means the provider
    took it (Twilio answers 'queued'): never hand it over twice.
    """
    rows = session.execute(
        update(Message).where(Message.id.in_(message_ids), Message.status == "queued",
                              Message.provider_message_id.is_(None))
        .values(status="sending", attempts=Message.attempts + 1, updated_at=now)
        .returning(*_TASK_COLUMNS, *_RECIPIENT_SUBQUERIES)).all()
    return sorted((replace(_send_task(row), claimed_at=now) for row in rows), key=lambda task: task.message_id)


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
    return replace(_send_tasks(session, [message_id])[0], uncertain_since=since, claimed_at=now)


_TASK_COLUMNS = (Message.id, Message.provider, Message.body, Message.attempts, Message.kind)
_RECIPIENT_SUBQUERIES = (
    select(Coordinator.phone).where(Coordinator.id == Message.coordinator_id).scalar_subquery().label("phone"),
    select(Reporter.number_encrypted).where(Reporter.id == Message.reporter_id).scalar_subquery()
    .label("number_encrypted"),
    select(Reporter.opted_out).where(Reporter.id == Message.reporter_id).scalar_subquery().label("opted_out"))


def _send_tasks(session: Session, message_ids: list[int]) -> list[SendTask]:
    rows = session.execute(
        select(*_TASK_COLUMNS, Coordinator.phone, Reporter.number_encrypted, Reporter.opted_out)
        .outerjoin(Coordinator, Coordinator.id == Message.coordinator_id)
        .outerjoin(Reporter, Reporter.id == Message.reporter_id)
        .where(Message.id.in_(message_ids)).order_by(Message.id)).all()
    return [_send_task(row) for row in rows]


def _send_task(row) -> SendTask:
    return SendTask(message_id=row.id, provider=row.provider, body=row.body or "", coordinator_phone=row.phone,
                    attempts=row.attempts, kind=row.kind,
                    reporter_number_encrypted=None if row.phone else row.number_encrypted,
                    reporter_opted_out=bool(row.opted_out) and not row.phone)


def claimed_task(message: NewCoordinatorMessage, coordinator_phone: str, claimed_at: datetime) -> SendTask:
    """The SendTask for a message inserted already claimed (queue_to_coordinators(claimed=True)) at claimed_at."""
    return SendTask(message_id=message.id, provider=message.provider, body=message.body,
                    coordinator_phone=coordinator_phone, reporter_number_encrypted=None,
                    attempts=message.attempts, kind=message.kind, claimed_at=claimed_at)


def renew_claims(session: Session, message_ids: list[int], claimed_at: datetime, now: datetime) -> set[int]:
    """Renew a run's claim on the messages it still holds; return their ids.

    A message 'sending' for send_stuck_seconds is taken over by the sweeper (claim_stuck): a
    run handing many messages over renews its claim before that. Compare-and-set on the claim
    time: a message someone else took over (or one this run already finished) is left out.
    """
    return set(session.scalars(
        update(Message).where(Message.id.in_(message_ids), Message.status == "sending",
                              Message.updated_at == claimed_at)
        .values(updated_at=now).returning(Message.id)))


@dataclass(frozen=True)
class Handed:
    """A message the provider took: what to record about it."""
    message_id: int
    provider_message_id: str | None
    status: str
    segments: int | None
    provider: str | None = None     # the provider that carried it, when failover chose another


_RECORD_SENT = (update(Message.__table__).where(Message.__table__.c.id == bindparam("message_id"))
                .values(provider=func.coalesce(bindparam("handed_provider", type_=String), Message.__table__.c.provider),
                        provider_message_id=bindparam("handed_id"), status=bindparam("handed_status"),
                        segments=bindparam("handed_segments"), failure_reason=None, updated_at=bindparam("now")))


def record_sent(session: Session, handed: list[Handed], now: datetime) -> None:
    """The provider took these messages: one executemany for all. The status is the provider's
    word (Twilio's 'queued' too); the provider id keeps them from ever being claimed again.
    `provider` becomes the one that carried the message (after a failover, not the one it was queued for)."""
    if not handed:
        return
    session.execute(_RECORD_SENT, [
        dict(message_id=h.message_id, handed_id=h.provider_message_id, handed_status=h.status,
             handed_segments=h.segments, handed_provider=h.provider, now=now)
        for h in handed])


def record_retry(session: Session, message_id: int, reason: str, code: str | None, now: datetime) -> None:
    """Back to 'queued' so the next attempt can claim it; the reason stays visible meanwhile."""
    session.execute(update(Message).where(Message.id == message_id).values(
        status="queued", failure_reason=reason[:200], error_code=code, updated_at=now))


def release_claim(session: Session, message_id: int, now: datetime) -> None:
    """Hand a claimed message back untried (rate limit): the attempt does not count."""
    session.execute(update(Message).where(Message.id == message_id, Message.status == "sending").values(
        status="queued", attempts=Message.attempts - 1, updated_at=now))


def record_failure(session: Session, message_id: int, reason: str, code: str | None, now: datetime,
                   status: str = "failed") -> None:
    """A final outcome without delivery: failed, or suppressed (the reporter opted out)."""
    session.execute(update(Message).where(Message.id == message_id).values(
        status=status, failure_reason=reason[:200], error_code=code, updated_at=now))


def apply_delivery_status(session: Session, provider: str, provider_message_id: str, status: str,
                          error_code: str | None, now: datetime, failure_reason: str | None = None) -> bool:
    """Record a delivery callback; a status never moves back. False if the message is unknown.

    `failure_reason` is the provider's own words when it gives some (Africa's Talking's
    failureReason); otherwise the error code is the reason.
    """
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
        if error_code or failure_reason:
            message.failure_reason = (failure_reason or f"provider error {error_code}")[:200]
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
