"""Forums, working groups and coordinators: upserted from a validated forums file."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from gateway.forums_file import ForumSpec
from gateway.store.models import Coordinator, Forum


@dataclass
class LoadSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


def load_forums(session: Session, specs: list[ForumSpec]) -> LoadSummary:
    """Make the database match the file. Loading the same file twice changes nothing.

    Forums and coordinators missing from the file are deactivated, not deleted: alerts
    already sent keep pointing at them.
    """
    summary = LoadSummary()
    for spec in specs:
        _upsert_forum(session, spec, summary)
    listed = {spec.id for spec in specs}
    for forum in session.scalars(select(Forum).where(Forum.active.is_(True))):
        if forum.id not in listed:
            forum.active = False
            summary.deactivated += 1
    return summary


def _upsert_forum(session: Session, spec: ForumSpec, summary: LoadSummary) -> None:
    values = dict(name=spec.name, kind=spec.kind, categories=list(spec.categories),
                  areas=list(spec.areas), language=spec.language,
                  ack_within_hours=spec.ack_within_hours, active=True, provider=spec.provider)
    forum = session.get(Forum, spec.id)
    if forum is None:
        session.add(Forum(id=spec.id, **values))
        session.flush()
        summary.created += 1
    elif any(getattr(forum, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(forum, key, value)
        summary.updated += 1
    else:
        summary.unchanged += 1
    _sync_coordinators(session, spec, summary)


def _sync_coordinators(session: Session, spec: ForumSpec, summary: LoadSummary) -> None:
    current = {c.phone: c for c in session.scalars(select(Coordinator).where(Coordinator.forum_id == spec.id))}
    for person in spec.coordinators:
        values = dict(name=person.name, backup=person.backup, active=True)
        row = current.pop(person.phone, None)
        if row is None:
            session.add(Coordinator(forum_id=spec.id, phone=person.phone, **values))
            summary.created += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            summary.updated += 1
    for row in current.values():
        if row.active:
            row.active = False
            summary.deactivated += 1


@dataclass(frozen=True)
class Person:
    id: int
    phone: str
    backup: bool


@dataclass(frozen=True)
class ForumRoute:
    """What routing needs of a forum: its subscription, language and active coordinators."""
    id: str
    kind: str
    categories: tuple[str, ...]
    areas: tuple[str, ...]
    language: str
    coordinators: list[Person]
    provider: str | None = None     # the forum's own SMS provider, if it has one


def routing_directory(session: Session) -> dict[str, ForumRoute]:
    """Active forums and their active coordinators (in id order), in one query of plain columns."""
    rows = session.execute(
        select(Forum.id, Forum.kind, Forum.categories, Forum.areas, Forum.language, Forum.provider,
               Coordinator.id, Coordinator.phone, Coordinator.backup)
        .outerjoin(Coordinator, and_(Coordinator.forum_id == Forum.id, Coordinator.active.is_(True)))
        .where(Forum.active.is_(True)).order_by(Forum.id, Coordinator.id))
    directory: dict[str, ForumRoute] = {}
    for forum_id, kind, categories, areas, language, provider, person_id, phone, backup in rows:
        route = directory.setdefault(forum_id, ForumRoute(forum_id, kind, tuple(categories), tuple(areas),
                                                          language, [], provider))
        if person_id is not None:
            route.coordinators.append(Person(person_id, phone, backup))
    return directory


def active_forums(session: Session) -> list[Forum]:
    return list(session.scalars(select(Forum).where(Forum.active.is_(True)).order_by(Forum.id)))


def active_coordinators(session: Session, forum_id: str) -> list[Coordinator]:
    return list(session.scalars(select(Coordinator).where(
        Coordinator.forum_id == forum_id, Coordinator.active.is_(True)).order_by(Coordinator.id)))
