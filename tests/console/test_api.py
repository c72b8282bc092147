"""The JSON API: per-user bearer tokens, the same roles and the same audit as the console."""
from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import ApiToken, AuditEvent


def get(app, path: str, token: str):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


def test_reports_list_and_detail(app, routed, api_token):
    token = api_token("auditor")
    listing = get(app, "/api/v1/reports?category=resource_conflict", token).get_json()
    assert [r["reference"] for r in listing["reports"]] == [routed.kenieba]
    assert listing["reports"][0]["forums"] == ["kenieba-mining"] and listing["next_before"] is None
    detail = get(app, f"/api/v1/reports/{routed.kenieba}", token).get_json()
    assert detail["text"].startswith("Bagarre") and detail["reporter"]["masked_number"] == "+223 •• •• •• 56"
    assert [step["event"] for step in detail["timeline"]][:3] == ["received", "classified", "routed"]
    assert "+22376123456" not in str(detail)


def test_messages_and_forums(app, routed, api_token):
    token = api_token("admin")
    messages = get(app, "/api/v1/messages?direction=out&kind=alert", token).get_json()["messages"]
    assert {m["party"] for m in messages} == {"Coordinateur Kéniéba", "Coordinateur Mopti"}
    forums = get(app, "/api/v1/forums", token).get_json()["forums"]
    assert "kenieba-mining" in {f["id"] for f in forums}


def test_bad_parameters_get_a_json_400(app, staff, api_token):
    response = get(app, "/api/v1/messages?from=soon", api_token("admin"))
    assert response.status_code == 400 and "from" in response.get_json()["error"]


def test_api_reads_are_audited_with_the_tokens_owner(app, routed, api_token, runtime):
    get(app, f"/api/v1/reports/{routed.mopti}", api_token("mopti"))
    with runtime.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "report.view"))
    assert (event.actor, event.target, event.details["via"]) == ("mopti@example.ml", routed.mopti, "api")


def test_tokens_are_stored_hashed_and_stop_with_the_account(app, runtime, routed, api_token):
    from gateway.store.staff import set_active

    token = api_token("admin")
    with runtime.transaction() as session:
        stored = session.scalar(select(ApiToken.token_hash))
    assert token not in stored and len(stored) == 64
    assert get(app, "/api/v1/forums", token).status_code == 200
    with runtime.transaction() as session:
        set_active(session, "admin@example.ml", False)
    assert get(app, "/api/v1/forums", token).status_code == 401
