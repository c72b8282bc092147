"""The message log, as staff and the CLI read it: reporters appear only as aliases."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.privacy import reporter_alias
from gateway.store.models import Coordinator, Message, Reporter


@dataclass(frozen=True)
class MessageRow:
    id: int
    created_at: datetime
    direction: str
    kind: str
    recipient: str       # coordinator's name, or the reporter's alias: never a reporter number
    status: str
    failure_reason: str | None
    body: str


def latest_outbound(session: Session, limit: int) -> list[MessageRow]:
    query = (select(Message, Coordinator.name, Reporter.pseudonym)
             .outerjoin(Coordinator, Coordinator.id == Message.coordinator_id)
             .outerjoin(Reporter, Reporter.id == Message.reporter_id)
             .where(Message.direction == "out").order_by(Message.id.desc()).limit(limit))
    return [MessageRow(id=m.id, created_at=m.created_at, direction=m.direction, kind=m.kind,
                       recipient=name or (reporter_alias(pseudonym) if pseudonym else "?"),
                       status=m.status, failure_reason=m.failure_reason, body=m.body or "")
            for m, name, pseudonym in session.execute(query)]
