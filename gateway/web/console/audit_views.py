"""The audit log viewer, with the state of the hash chain at the top."""
from __future__ import annotations

from flask import render_template, request

from gateway.store import audit as audit_log
from gateway.web import params, runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint, requires

PAGE_SIZE = 100


@blueprint.get("/audit")
@requires("can_read_audit")
def audit_page():
    filters = {name: params.text(request.args, name) for name in ("actor", "action", "target")}
    before = params.cursor(request.args)
    with runtime().transaction() as db:
        chain = audit_log.verify(db)
        audit(db, "audit.view", filters={k: v for k, v in filters.items() if v}, before=before)
        events = audit_log.page(db, before_id=before, limit=PAGE_SIZE, **filters)
    next_args = dict(filters, before=events[-1].id) if len(events) == PAGE_SIZE else None
    return render_template("console/audit.html", chain=chain, events=events, filters=filters, next_args=next_args)
