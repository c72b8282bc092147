"""Recording staff reads and writes in the audit log, from the console and the API alike."""
from __future__ import annotations

from flask import g, request
from sqlalchemy.orm import Session

from gateway.store.audit import append
from gateway.web import runtime


def audit(session: Session, action: str, target: str | None = None, *, actor: str | None = None,
          **details) -> None:
    """Append an entry in the caller's transaction: the read or write and its record commit together."""
    viewer = g.get("viewer")
    details = {key: value for key, value in details.items() if value not in (None, "", {}, [])}
    details.update(via=g.get("via", "console"), ip=request.remote_addr or "")
    append(session, actor=actor or (viewer.email if viewer else "anonymous"), action=action,
           at=runtime().now(), target=target, details=details)
