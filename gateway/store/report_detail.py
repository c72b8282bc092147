"""One report as staff see it: its alerts, corrections and timeline, derived from existing rows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import Alert, Coordinator, Forum, Message, Report, ReportCorrection, Reporter, StaffUser

SENT = {"accepted", "sent", "delivered", "read", "undelivered"}     # the provider took it
DELIVERY_OUTCOMES = {"delivered", "read", "undelivered", "failed"}


@dataclass(frozen=True)
class AlertLine:
    forum_id: str
    forum_name: str
    coordinator: str
    reason: str
    status: str
    created_at: datetime
    acknowledged_at: datetime | None
    message_status: str | None
    failure_reason: str | None
    provider: str | None = None      # the SMS provider that carried it (after any failover)


@dataclass(frozen=True)
class Step:
    at: datetime
    event: str          # received | classified | routed | alert_sent | delivered | failed | acknowledged | closed | corrected
    detail: str = ""


@dataclass(frozen=True)
class ReportDetail:
    report: Report
    reporter_pseudonym: str | None
    reporter_number_encrypted: str | None
    alerts: list[AlertLine]
    corrections: list[tuple[ReportCorrection, str]]     # (correction, staff e-mail)
    timeline: list[Step]


def report_detail(session: Session, report: Report) -> ReportDetail:
    reporter = session.get(Reporter, report.reporter_id) if report.reporter_id else None
    alerts = _alert_lines(session, report.id)
    corrections = list(session.execute(
        select(ReportCorrection, StaffUser.email).join(StaffUser, StaffUser.id == ReportCorrection.staff_id)
        .where(ReportCorrection.report_id == report.id).order_by(ReportCorrection.id)))
    return ReportDetail(report=report, reporter_pseudonym=reporter.pseudonym if reporter else None,
                        reporter_number_encrypted=reporter.number_encrypted if reporter else None,
                        alerts=alerts, corrections=corrections,
                        timeline=timeline(report, _alert_messages(session, report.id), corrections))


def _alert_lines(session: Session, report_id: int) -> list[AlertLine]:
    rows = session.execute(
        select(Alert, Forum.name, Coordinator.name, Message.status, Message.failure_reason, Message.provider)
        .join(Forum, Forum.id == Alert.forum_id).join(Coordinator, Coordinator.id == Alert.coordinator_id)
        .outerjoin(Message, Message.id == Alert.message_id).where(Alert.report_id == report_id).order_by(Alert.id))
    return [AlertLine(forum_id=alert.forum_id, forum_name=forum_name, coordinator=person, reason=alert.reason,
                      status=alert.status, created_at=alert.created_at, acknowledged_at=alert.acknowledged_at,
                      message_status=status, failure_reason=failure, provider=provider)
            for alert, forum_name, person, status, failure, provider in rows]


def _alert_messages(session: Session, report_id: int) -> list[tuple[Alert, Message | None, str]]:
    return list(session.execute(
        select(Alert, Message, Coordinator.name).join(Coordinator, Coordinator.id == Alert.coordinator_id)
        .outerjoin(Message, Message.id == Alert.message_id).where(Alert.report_id == report_id)
        .order_by(Alert.id)))


def timeline(report: Report, alerts: list[tuple[Alert, Message | None, str]],
             corrections: list[tuple[ReportCorrection, str]]) -> list[Step]:
    """What happened to the report, oldest first, from timestamps the pipeline already keeps."""
    steps = [Step(report.created_at, "received", report.channel)]
    if report.processed_at:
        classified_as = corrections[0][0].old_category if corrections else report.category   # before any triage
        steps.append(Step(report.processed_at, "classified", f"{classified_as} ({report.confidence or 0:.2f})"))
        forums = sorted({alert.forum_id for alert, _m, _n in alerts})
        steps.append(Step(report.processed_at, "routed", ", ".join(forums) or report.status))
    for alert, message, person in alerts:
        steps.extend(_alert_steps(alert, message, person))
    steps.extend(Step(c.at, "corrected", email) for c, email in corrections)
    if report.status == "closed":
        steps.append(Step(report.updated_at, "closed"))
    return sorted(steps, key=lambda step: _naive(step.at))


def _alert_steps(alert: Alert, message: Message | None, person: str) -> list[Step]:
    steps = []
    if message is not None and message.status in SENT:
        # the send time is kept only until a delivery callback moves updated_at on
        sent_at = message.updated_at if message.status in ("accepted", "sent") else message.created_at
        steps.append(Step(sent_at, "alert_sent", person))
    if message is not None and message.status in DELIVERY_OUTCOMES:
        outcome = "delivered" if message.status in ("delivered", "read") else "failed"
        steps.append(Step(message.updated_at, outcome, f"{person}: {message.failure_reason or message.status}"
                          if outcome == "failed" else person))
    if alert.acknowledged_at:
        steps.append(Step(alert.acknowledged_at, "acknowledged", person))
    return steps


def _naive(moment: datetime) -> datetime:
    """Comparable across backends: SQLite gives naive UTC, PostgreSQL aware datetimes."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
