"""`gateway purge`: apply the retention settings (RETENTION_DAYS) and record it in the audit log."""
from __future__ import annotations

from datetime import timedelta

from gateway.runtime import Runtime
from gateway.store.audit import append
from gateway.store.purge import PurgeCounts, purge_before


def purge(runtime: Runtime, days: int | None = None, actor: str = "cli") -> PurgeCounts:
    days = days or runtime.config.retention_days
    if days < 1:
        raise ValueError("retention must be at least one day")
    now = runtime.now()
    cutoff = now - timedelta(days=days)
    with runtime.transaction() as session:
        counts = purge_before(session, cutoff, now)
        append(session, actor=actor, action="purge", at=now,
               details={"days": days, "cutoff": cutoff.isoformat(), **counts.as_dict()})
    return counts
