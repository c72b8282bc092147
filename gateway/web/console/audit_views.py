"""The audit log viewer, with the state of the hash chain at the top."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from flask import current_app, render_template, request

from gateway.store import audit as audit_log
from gateway.web import params, runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint, requires

PAGE_SIZE = 100
FULL_CHECK_EVERY = timedelta(minutes=10)


class ChainChecker:
    """This app's last intact result, and when the whole chain was last walked.

    The page walks the whole chain at most every FULL_CHECK_EVERY and in between only the
    entries added since (a long log takes seconds to walk); `gateway audit verify` always
    walks it all.
    """

    def __init__(self):
        self.status: audit_log.ChainStatus | None = None
        self.full_at: datetime | None = None
        self.lock = threading.Lock()

    def check(self, db, now: datetime) -> tuple[audit_log.ChainStatus, datetime]:
        with self.lock:
            fresh = self.status is not None and timedelta(0) <= now - self.full_at < FULL_CHECK_EVERY
            result = audit_log.verify(db, resume=self.status if fresh else None)
            full_at = self.full_at if fresh else now
            self.status, self.full_at = (result, full_at) if result.ok else (None, None)
            return result, full_at


def chain_checker() -> ChainChecker:
    return current_app.extensions.setdefault("console.audit_chain", ChainChecker())


@blueprint.get("/audit")
@requires("can_read_audit")
def audit_page():
    filters = {name: params.text(request.args, name) for name in ("actor", "action", "target")}
    before = params.cursor(request.args)
    with runtime().transaction() as db:
        chain, full_at = chain_checker().check(db, runtime().now())
        audit(db, "audit.view", filters={k: v for k, v in filters.items() if v}, before=before)
        events = audit_log.page(db, before_id=before, limit=PAGE_SIZE, **filters)
    next_args = dict(filters, before=events[-1].id) if len(events) == PAGE_SIZE else None
    return render_template("console/audit.html", chain=chain, full_at=full_at, events=events, filters=filters,
                           next_args=next_args)
