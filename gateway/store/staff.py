"""Staff accounts, the forums a coordinator may read, and API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.access import ROLES, Viewer
from gateway.errors import GatewayError
from gateway.store.models import ApiToken, Forum, StaffForum, StaffUser


class StaffError(GatewayError):
    """A staff account cannot be created or changed as asked; the message says why."""


def create_staff(session: Session, *, email: str, password_hash: str, role: str, forum_ids: list[str],
                 now: datetime, language: str = "fr") -> StaffUser:
    email = normalise_email(email)
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if (role == "coordinator") != bool(forum_ids):
        raise StaffError("a coordinator needs at least one --forum; other roles take none")
    unknown = set(forum_ids) - set(session.scalars(select(Forum.id).where(Forum.id.in_(forum_ids))))
    if unknown:
        raise StaffError(f"unknown forums: {', '.join(sorted(unknown))}")
    if find_by_email(session, email) is not None:
        raise StaffError(f"{email} already has an account")
    user = StaffUser(email=email, password_hash=password_hash, role=role, language=language,
                     active=True, created_at=now)
    session.add(user)
    session.flush()
    session.add_all(StaffForum(staff_id=user.id, forum_id=forum_id) for forum_id in dict.fromkeys(forum_ids))
    return user


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise StaffError("not an e-mail address")
    return email


def find_by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def viewer_for(session: Session, user: StaffUser) -> Viewer:
    forum_ids = frozenset(session.scalars(select(StaffForum.forum_id).where(StaffForum.staff_id == user.id)))
    return Viewer(staff_id=user.id, email=user.email, role=user.role, forum_ids=forum_ids)


def active_user(session: Session, staff_id: int) -> StaffUser | None:
    user = session.get(StaffUser, staff_id)
    return user if user is not None and user.active else None


def set_active(session: Session, email: str, active: bool) -> StaffUser:
    user = find_by_email(session, email)
    if user is None:
        raise StaffError(f"no account for {email}")
    user.active = active
    return user


def add_token(session: Session, user: StaffUser, *, name: str, digest: str, now: datetime) -> ApiToken:
    token = ApiToken(staff_id=user.id, name=name[:100], token_hash=digest, created_at=now)
    session.add(token)
    session.flush()
    return token


def user_for_token(session: Session, digest: str, now: datetime) -> StaffUser | None:
    """The active owner of an unrevoked token, or None; notes when the token was last used."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    token.last_used_at = now
    return active_user(session, token.staff_id)


def all_staff(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def save_language(session: Session, staff_id: int, language: str) -> None:
    user = session.get(StaffUser, staff_id)
    if user is not None:
        user.language = language
