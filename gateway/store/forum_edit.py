"""Forums and coordinators edited one at a time in the staff console.

Values arrive already validated (gateway.forums_file.parse_forum_entry, normalise_number);
each function returns what changed, for the audit log. Note that `gateway config load`
makes the database match its file again, so edits here should also go into that file.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from gateway.forums_file import ForumSpec
from gateway.store.models import Coordinator, Forum
from gateway.store.staff import StaffError

FORUM_FIELDS = ("name", "kind", "categories", "areas", "language", "ack_within_hours")


def all_forums(session: Session, forum_ids: frozenset[str] | None = None) -> list[Forum]:
    """Every forum with its coordinators (inactive ones too); only `forum_ids` when given."""
    query = select(Forum).options(selectinload(Forum.coordinators)).order_by(Forum.id)
    if forum_ids is not None:
        query = query.where(Forum.id.in_(sorted(forum_ids)))
    return list(session.scalars(query))


def save_forum(session: Session, spec: ForumSpec, active: bool) -> dict:
    """Create or update a forum's subscription and settings; return {field: [old, new]}."""
    values = {key: getattr(spec, key) for key in FORUM_FIELDS}
    values.update(categories=list(spec.categories), areas=list(spec.areas), active=active)
    forum = session.get(Forum, spec.id)
    if forum is None:
        session.add(Forum(id=spec.id, **values))
        session.flush()
        return {key: [None, value] for key, value in values.items()}
    changes = {key: [getattr(forum, key), value] for key, value in values.items() if getattr(forum, key) != value}
    for key, (_old, new) in changes.items():
        setattr(forum, key, new)
    return changes


def add_coordinator(session: Session, forum_id: str, *, name: str, phone: str, backup: bool) -> Coordinator:
    if session.get(Forum, forum_id) is None:
        raise StaffError(f"unknown forum {forum_id}")
    try:
        with session.begin_nested():
            person = Coordinator(forum_id=forum_id, name=name[:200], phone=phone, backup=backup, active=True)
            session.add(person)
            session.flush()
    except IntegrityError as exc:
        raise StaffError("this phone number is already a coordinator of this forum") from exc
    return person


def update_coordinator(session: Session, coordinator_id: int, *, name: str, backup: bool, active: bool) -> dict:
    person = session.get(Coordinator, coordinator_id)
    if person is None:
        raise StaffError("unknown coordinator")
    values = {"name": name[:200], "backup": backup, "active": active}
    changes = {key: [getattr(person, key), value] for key, value in values.items() if getattr(person, key) != value}
    for key, (_old, new) in changes.items():
        setattr(person, key, new)
    return changes
