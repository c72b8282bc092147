"""Who is writing: a registered coordinator's number makes every message a command."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.store.models import Coordinator, Forum


@dataclass(frozen=True)
class CoordinatorIdentity:
    """One person, who may coordinate several forums (one coordinator row per forum)."""
    coordinator_ids: dict[str, int]      # forum id -> this person's row in that forum
    language: str                        # their first forum's language, for replies

    @property
    def forum_ids(self) -> set[str]:
        return set(self.coordinator_ids)

    @property
    def first_id(self) -> int:
        return next(iter(self.coordinator_ids.values()))


def identify_coordinator(session: Session, phone: str) -> CoordinatorIdentity | None:
    """The active coordinator with this E.164 number, in active forums; None for anyone else."""
    rows = session.execute(
        select(Coordinator.id, Coordinator.forum_id, Forum.language)
        .join(Forum, Forum.id == Coordinator.forum_id)
        .where(Coordinator.phone == phone, Coordinator.active.is_(True), Forum.active.is_(True))
        .order_by(Coordinator.id)).all()
    if not rows:
        return None
    return CoordinatorIdentity(coordinator_ids={forum_id: row_id for row_id, forum_id, _ in rows},
                               language=rows[0][2])
