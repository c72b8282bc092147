"""The audit log: append-only and hash-chained (DESIGN §4).

Each entry's hash is sha256(prev_hash + canonical JSON of the entry), so changing, removing
or re-ordering any row breaks the chain from that row on; `verify` names the first break.
Appends are serialised (a transaction-level advisory lock on PostgreSQL, the write lock on
SQLite) and a unique prev_hash makes a fork impossible even if that serialisation failed.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gateway.store.models import AuditEvent

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x61756474          # 'audt': one chain, one lock


def canonical_time(at: datetime) -> str:
    """UTC, microseconds, 'Z': SQLite gives back naive datetimes, PostgreSQL aware ones."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, target: str | None, details: dict) -> str:
    entry = {"at": canonical_time(at), "actor": actor, "action": action, "target": target, "details": details}
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def append(session: Session, *, actor: str, action: str, at: datetime, target: str | None = None,
           details: dict | None = None) -> AuditEvent:
    """Add one entry at the end of the chain, in the caller's transaction."""
    details = json.loads(json.dumps(details or {}))        # what the database will give back
    actor, target = actor[:200], (target[:200] if target else None)
    _lock_chain(session)
    prev_hash = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    event = AuditEvent(at=at, actor=actor, action=action, target=target, details=details, prev_hash=prev_hash,
                       hash=entry_hash(prev_hash, at, actor, action, target, details))
    session.add(event)
    session.flush()
    return event


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    else:
        # pysqlite opens the transaction lazily at the first write: a no-op write takes the
        # database write lock now, so the last hash read next cannot change under us.
        session.execute(text("UPDATE audit_events SET id = id WHERE 0"))


@dataclass(frozen=True)
class ChainStatus:
    ok: bool
    entries: int
    broken_id: int | None = None
    reason: str = ""
    last_id: int = 0              # where an intact chain ends: a checkpoint to resume from
    last_hash: str = GENESIS


def verify(session: Session, batch: int = 5000, resume: ChainStatus | None = None) -> ChainStatus:
    """Walk the chain in id order; the first entry whose links or hash do not hold is named.

    `resume` (an earlier intact result) checks only the entries added since, after making sure
    the entry it ended on is unchanged; a full walk (no `resume`) is what proves the whole log.
    """
    expected_prev, count, last_id = GENESIS, 0, 0
    if resume is not None and resume.last_id:
        checkpoint = session.execute(select(*_COLUMNS).where(AuditEvent.id == resume.last_id)).first()
        if checkpoint is None or checkpoint.hash != resume.last_hash or not _content_holds(checkpoint):
            return ChainStatus(False, 0, resume.last_id, "entry changed or removed since it was verified")
        expected_prev, count, last_id = resume.last_hash, resume.entries, resume.last_id
    for event in _in_order(session, batch, last_id):
        if event.prev_hash != expected_prev:
            return ChainStatus(False, count, event.id, "prev_hash does not match the previous entry's hash")
        if not _content_holds(event):
            return ChainStatus(False, count, event.id, "hash does not match the entry's content")
        expected_prev, count, last_id = event.hash, count + 1, event.id
    return ChainStatus(True, count, last_id=last_id, last_hash=expected_prev)


def _content_holds(event) -> bool:
    return event.hash == entry_hash(event.prev_hash, event.at, event.actor, event.action, event.target,
                                    event.details or {})


_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.target,
            AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash)


def _in_order(session: Session, batch: int, last_id: int = 0) -> Iterator:
    """Plain rows in batches: a long chain never fills the session's identity map."""
    while True:
        rows = session.execute(select(*_COLUMNS).where(AuditEvent.id > last_id)
                               .order_by(AuditEvent.id).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def page(session: Session, *, before_id: int | None, limit: int, actor: str = "", action: str = "",
         target: str = "") -> list[AuditEvent]:
    """Newest first, keyset-paginated by id."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    for column, value in ((AuditEvent.actor, actor), (AuditEvent.action, action), (AuditEvent.target, target)):
        if value:
            query = query.where(column == value)
    return list(session.scalars(query))
