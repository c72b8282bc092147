"""Alerts: one per (report, forum, coordinator), each with its outbound message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from gateway.store.models import Alert, Coordinator, Forum, Report
from gateway.store.outbound import CoordinatorBody, NewCoordinatorMessage, queue_to_coordinators

OPEN = ("pending", "escalated")               # not yet acknowledged by the forum
NEVER_ESCALATED = ("escalation", "corroboration")   # escalate once; updates follow their first alert


@dataclass(frozen=True)
class AlertTarget:
    forum_id: str
    coordinator_id: int
    language: str
    reason: str          # subscription | triage | urgent_backup | escalation | corroboration | correction
    provider: str | None = None   # the SMS provider for this alert; None = create_alerts' provider


def existing_targets(session: Session, report_id: int) -> set[tuple[str, int]]:
    rows = session.execute(select(Alert.forum_id, Alert.coordinator_id).where(Alert.report_id == report_id))
    return {(forum_id, coordinator_id) for forum_id, coordinator_id in rows}


def create_alerts(session: Session, *, report_id: int, targets: list[AlertTarget], texts: dict[str, str],
                  provider: str, now: datetime, kind: str = "alert",
                  known: set[tuple[str, int]] | None = None, claimed: bool = False) -> list[NewCoordinatorMessage]:
    """Create the missing alerts and their outbound messages; return the new messages.

    `texts` holds the alert text per language. Targets that already have an alert are
    skipped (`known`, when the caller knows them, saves the query), so running the
    pipeline twice creates nothing twice. Two INSERTs for any number of alerts.
    """
    done = existing_targets(session, report_id) if known is None else set(known)
    fresh = []
    for target in targets:
        if (target.forum_id, target.coordinator_id) not in done:
            done.add((target.forum_id, target.coordinator_id))
            fresh.append(NewAlert(report_id, target, kind, texts[target.language]))
    return insert_alerts(session, fresh, provider=provider, now=now, claimed=claimed)


@dataclass(frozen=True)
class NewAlert:
    report_id: int
    target: AlertTarget
    kind: str            # alert | update
    body: str | None     # None: the alert is recorded (the coordinator may act on it) but not texted


def insert_alerts(session: Session, alerts: list[NewAlert], *, provider: str, now: datetime,
                  claimed: bool = False) -> list[NewCoordinatorMessage]:
    """The alerts and their outbound messages, of any number of reports: two INSERTs in all."""
    texted = [alert for alert in alerts if alert.body is not None]
    messages = queue_to_coordinators(session, provider=provider, now=now, claimed=claimed, bodies=[
        CoordinatorBody(alert.target.coordinator_id, alert.body, alert.report_id, alert.kind, alert.target.provider)
        for alert in texted])
    message_ids = {id(alert): message.id for alert, message in zip(texted, messages)}
    if alerts:     # Core, not ORM: the ORM splits rows with and without a message_id into two INSERTs
        session.execute(insert(Alert.__table__), [
            dict(report_id=alert.report_id, forum_id=alert.target.forum_id,
                 coordinator_id=alert.target.coordinator_id, message_id=message_ids.get(id(alert)),
                 reason=alert.target.reason, status="pending", created_at=now)
            for alert in alerts])
    return messages


def coordinators_of(session: Session, forum_id: str) -> list[Coordinator]:
    return list(session.scalars(select(Coordinator).where(
        Coordinator.forum_id == forum_id, Coordinator.active.is_(True)).order_by(Coordinator.id)))


def alerted_forums(session: Session, report_id: int) -> set[str]:
    """The forums a report was routed (or escalated) to: the ones whose coordinators may act on it."""
    return set(session.scalars(select(Alert.forum_id).where(Alert.report_id == report_id).distinct()))


def incident_targets(session: Session, incident_ids: list[int]) -> dict[int, set[tuple[str, int]]]:
    """Per incident, the (forum, coordinator) pairs already alerted about some report of it."""
    targets: dict[int, set[tuple[str, int]]] = {incident_id: set() for incident_id in incident_ids}
    if incident_ids:
        rows = session.execute(select(Report.incident_id, Alert.forum_id, Alert.coordinator_id)
                               .join(Report, Report.id == Alert.report_id)
                               .where(Report.incident_id.in_(incident_ids)).distinct())
        for incident_id, forum_id, coordinator_id in rows:
            targets[incident_id].add((forum_id, coordinator_id))
    return targets


def acknowledge_alerts(session: Session, report_ids: list[int], forum_ids: set[str], now: datetime) -> int:
    """A forum acknowledges for all its coordinators: no escalation follows. Returns rows changed."""
    result = session.execute(update(Alert).where(
        Alert.report_id.in_(report_ids), Alert.forum_id.in_(forum_ids), Alert.status.in_(OPEN))
        .values(status="acknowledged", acknowledged_at=now))
    return result.rowcount


def close_alerts(session: Session, report_ids: list[int], forum_ids: set[str], now: datetime) -> int:
    """Closing implies acknowledging: a FIN without an OK stops the escalation too."""
    result = session.execute(update(Alert).where(
        Alert.report_id.in_(report_ids), Alert.forum_id.in_(forum_ids), Alert.status != "closed")
        .values(status="closed", acknowledged_at=func.coalesce(Alert.acknowledged_at, now)))
    return result.rowcount


def overdue_alerts(session: Session, forum: Forum, now: datetime) -> list[Alert]:
    """Alerts of `forum` still pending past its ack_within_hours, on reports not closed.

    Locked (PostgreSQL) so that two escalation runs never handle the same alert.
    """
    deadline = now - timedelta(hours=forum.ack_within_hours)
    query = (select(Alert).join(Report, Report.id == Alert.report_id)
             .where(Alert.forum_id == forum.id, Alert.status == "pending",
                    Alert.reason.not_in(NEVER_ESCALATED), Alert.created_at <= deadline,
                    Report.status != "closed")
             .order_by(Alert.report_id, Alert.id))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Alert, skip_locked=True)
    return list(session.scalars(query))
