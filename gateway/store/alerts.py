"""Alerts: one per (report, forum, coordinator), each with its outbound message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import Alert, Coordinator
from gateway.store.outbound import queue_outbound


@dataclass(frozen=True)
class AlertTarget:
    forum_id: str
    coordinator_id: int
    language: str
    reason: str          # subscription | triage | urgent_backup | escalation


def existing_targets(session: Session, report_id: int) -> set[tuple[str, int]]:
    rows = session.execute(select(Alert.forum_id, Alert.coordinator_id).where(Alert.report_id == report_id))
    return {(forum_id, coordinator_id) for forum_id, coordinator_id in rows}


def create_alerts(session: Session, *, report_id: int, targets: list[AlertTarget], texts: dict[str, str],
                  provider: str, now: datetime) -> list[int]:
    """Create the missing alerts and their queued messages; return the new message ids.

    `texts` holds the alert text per language. Targets that already have an alert are
    skipped, so running the pipeline twice creates nothing twice.
    """
    done = existing_targets(session, report_id)
    message_ids = []
    for target in targets:
        if (target.forum_id, target.coordinator_id) in done:
            continue
        message = queue_outbound(session, provider=provider, kind="alert", body=texts[target.language],
                                 now=now, coordinator_id=target.coordinator_id, report_id=report_id)
        session.add(Alert(report_id=report_id, forum_id=target.forum_id, coordinator_id=target.coordinator_id,
                          message_id=message.id, reason=target.reason, status="pending", created_at=now))
        done.add((target.forum_id, target.coordinator_id))
        message_ids.append(message.id)
    session.flush()
    return message_ids


def coordinators_of(session: Session, forum_id: str) -> list[Coordinator]:
    return list(session.scalars(select(Coordinator).where(
        Coordinator.forum_id == forum_id, Coordinator.active.is_(True)).order_by(Coordinator.id)))
