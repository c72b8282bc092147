"""JSON API under /api/v1/: reports, messages and forums for other tools.

Each request carries `Authorization: Bearer <token>` (a per-user token from
`gateway staff token EMAIL`); the token's owner has the same role, the same limits and the
same audit trail as in the console.

Example: GET /api/v1/reports?category=resource_conflict&status=routed
  -> {"reports": [{"reference": "64DXNW", "category": "resource_conflict", ...}], "next_before": 812}
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway import areas
from gateway.auth import token_digest
from gateway.masking import message_party, reporter_display
from gateway.store.forum_edit import all_forums
from gateway.store.report_detail import report_detail
from gateway.store.report_queue import visible_report
from gateway.store.staff import user_for_token, viewer_for
from gateway.web import runtime
from gateway.web.audit_trail import audit
from gateway.web.listing import listed_reports, next_cursor, searched_messages

blueprint = Blueprint("api", __name__)
PAGE_SIZE = 100


@blueprint.before_request
def authenticate():
    g.via, g.viewer = "api", None
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        with runtime().transaction() as db:
            user = user_for_token(db, token_digest(token.strip()), runtime().now())
            g.viewer = viewer_for(db, user) if user is not None else None
    if g.viewer is None:
        response = jsonify(error="a valid bearer token is required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="gateway"'
        return response, 401
    return None


@blueprint.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, message: str):
    return jsonify(error=message), status


@blueprint.errorhandler(400)
def bad_request(error):
    return _error(400, getattr(error, "description", "bad request"))


@blueprint.errorhandler(404)
def not_found(_error):
    return _error(404, "not found")


def _report_json(row) -> dict:
    return {"reference": row.reference, "created_at": row.created_at.isoformat(), "channel": row.channel,
            "category": row.category, "urgency": row.urgency, "region_pcode": row.region_pcode,
            "cercle_pcode": row.cercle_pcode, "place": areas.place_label(row.region_pcode, row.cercle_pcode),
            "status": row.status}


@blueprint.get("/reports")
def reports():
    _filters, rows, _forums = listed_reports(PAGE_SIZE)
    return jsonify(reports=[dict(_report_json(row), forums=list(row.forum_ids), overdue=row.overdue) for row in rows],
                   next_before=next_cursor(rows, PAGE_SIZE))


@blueprint.get("/reports/<reference>")
def report(reference: str):
    with runtime().transaction() as db:
        found = visible_report(db, g.viewer, reference)
        if found is None:
            audit(db, "report.view_refused", target=reference[:20])
            return _error(404, "not found")
        audit(db, "report.view", target=found.reference)
        detail = report_detail(db, found)
    alias, masked = reporter_display(runtime().pseudonymiser, detail.reporter_pseudonym,
                                     detail.reporter_number_encrypted)
    return jsonify(_report_json(found) | {
        "text": found.text, "confidence": found.confidence, "reporter": {"alias": alias, "masked_number": masked},
        "alerts": [{"forum": a.forum_id, "coordinator": a.coordinator, "reason": a.reason, "status": a.status,
                    "message_status": a.message_status, "provider": a.provider,
                    "acknowledged_at": _iso(a.acknowledged_at)}
                   for a in detail.alerts],
        "timeline": [{"at": step.at.isoformat(), "event": step.event, "detail": step.detail}
                     for step in detail.timeline]})


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


@blueprint.get("/messages")
def messages():
    _filters, rows = searched_messages(PAGE_SIZE)
    return jsonify(messages=[_message_json(row) for row in rows], next_before=next_cursor(rows, PAGE_SIZE))


def _message_json(row) -> dict:
    alias, masked = message_party(runtime().pseudonymiser, row.coordinator, row.reporter_pseudonym,
                                  row.reporter_number_encrypted)
    return {"id": row.id, "created_at": row.created_at.isoformat(), "direction": row.direction,
            "channel": row.channel, "kind": row.kind, "provider": row.provider, "status": row.status,
            "failure_reason": row.failure_reason, "error_code": row.error_code, "body": row.body,
            "reference": row.reference, "party": alias, "masked_number": masked}


@blueprint.get("/forums")
def forums():
    with runtime().transaction() as db:
        rows = all_forums(db, None if g.viewer.sees_all_reports else g.viewer.forum_ids)
        audit(db, "forums.view")
        return jsonify(forums=[{"id": f.id, "name": f.name, "kind": f.kind, "categories": f.categories,
                                "areas": f.areas, "language": f.language, "ack_within_hours": f.ack_within_hours,
                                "active": f.active,
                                "coordinators": [{"id": c.id, "name": c.name, "backup": c.backup, "active": c.active}
                                                 for c in f.coordinators]} for f in rows])
