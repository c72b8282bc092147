"""Who is writing: a registered coordinator's number makes every message a command."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
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


# Built once: every inbound message asks it (bench/ingest-notes.md).
_BY_PHONES = (select(Coordinator.phone, Coordinator.id, Coordinator.forum_id, Forum.language)
              .join(Forum, Forum.id == Coordinator.forum_id)
              .where(Coordinator.phone.in_(bindparam("phones", expanding=True)),
                     Coordinator.active.is_(True), Forum.active.is_(True))
              .order_by(Coordinator.id))


def identify_coordinators(session: Session, phones: set[str]) -> dict[str, CoordinatorIdentity]:
    """The active coordinators, in active forums, among these E.164 numbers, in one query.

    Only coordinators' numbers are keys; anyone else is absent.

    Core, not ORM: asked first in every inbound transaction, before anything waits to be flushed.
    """
    rows = session.connection().execute(_BY_PHONES, {"phones": sorted(phones)}).all()
    found: dict[str, CoordinatorIdentity] = {}
    for phone, row_id, forum_id, language in rows:
        if phone not in found:
            found[phone] = CoordinatorIdentity(coordinator_ids={}, language=language)
        found[phone].coordinator_ids[forum_id] = row_id
    return found
