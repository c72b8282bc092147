"""Every /staff/ and /api/ route refuses an anonymous request; roles hold by direct URL too."""
from __future__ import annotations

import re

import pytest

from tests.console.conftest import form_token

PUBLIC = {"/staff/login", "/staff/language", "/staff/static/<path:filename>"}
SAMPLE_VALUES = {"reference": "ABC123", "forum_id": "kenieba-mining", "coordinator_id": "1",
                 "filename": "console.css"}


def concrete(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE_VALUES[m.group(1)], rule)


def guarded_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/staff", "/api/")) and rule.rule not in PUBLIC:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, concrete(rule.rule)


def test_the_walk_covers_the_console_and_the_api(app):
    paths = {path for _method, path in guarded_routes(app)}
    for expected in ("/staff/reports", "/staff/reports/ABC123", "/staff/messages", "/staff/messages.csv",
                     "/staff/audit", "/staff/forums", "/staff/simulator", "/api/v1/reports",
                     "/api/v1/reports/ABC123", "/api/v1/messages", "/api/v1/forums"):
        assert expected in paths


def test_every_staff_and_api_route_refuses_an_anonymous_request(app, staff, routed):
    client = app.test_client()
    refused = []
    for method, path in guarded_routes(app):
        response = client.open(path.replace("ABC123", routed.kenieba), method=method)
        body = response.get_data(as_text=True)
        if path.startswith("/api/"):
            ok = response.status_code == 401 and "WWW-Authenticate" in response.headers
        else:
            ok = response.status_code == 302 and "/staff/login" in response.headers["Location"]
        assert routed.kenieba not in body or path.startswith("/staff/reports/")  # no report content leaks
        assert "Bagarre" not in body
        refused.append((method, path, ok))
    assert [r for r in refused if not r[2]] == []


def test_a_wrong_or_revoked_bearer_token_is_refused(client, staff):
    for header in ("Bearer nope", "Basic abc", "Bearer "):
        assert client.get("/api/v1/reports", headers={"Authorization": header}).status_code == 401


@pytest.mark.parametrize("path", ["/staff/reports/{mopti}", "/api/v1/reports/{mopti}"])
def test_a_coordinator_cannot_read_another_forums_report_by_direct_url(path, signed_in, routed, api_token, app):
    kenieba = signed_in("kenieba")
    headers = {"Authorization": f"Bearer {api_token('kenieba')}"} if path.startswith("/api") else {}
    client = app.test_client() if headers else kenieba
    own = client.get(path.format(mopti=routed.kenieba), headers=headers)
    other = client.get(path.format(mopti=routed.mopti), headers=headers)
    unknown = client.get(path.format(mopti="ZZZZZZ"), headers=headers)
    assert own.status_code == 200 and "Bagarre" in own.get_data(as_text=True)
    assert other.status_code == 404 == unknown.status_code         # the same answer: no existence oracle
    assert "femmes" not in other.get_data(as_text=True)


def test_a_coordinator_sees_only_their_forums_in_lists_logs_and_exports(signed_in, routed, api_token, app):
    kenieba = signed_in("kenieba")
    token = {"Authorization": f"Bearer {api_token('kenieba')}"}
    pages = [kenieba.get("/staff/reports"), kenieba.get("/staff/messages"), kenieba.get("/staff/messages.csv"),
             kenieba.get("/staff/forums"), app.test_client().get("/api/v1/reports", headers=token),
             app.test_client().get("/api/v1/messages", headers=token),
             app.test_client().get("/api/v1/forums", headers=token)]
    for page in pages:
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert routed.mopti not in text and "femmes du village" not in text and "jeunes de Mopti" not in text
        assert "Coordinateur Mopti" not in text
    assert routed.kenieba in pages[0].get_data(as_text=True)
    assert "orpailleurs" in pages[2].get_data(as_text=True)
    # a filter naming another forum is refused, not quietly widened
    assert kenieba.get("/staff/reports?forum=mopti-women-youth").status_code == 400


ROLE_LIMITS = [
    # (account, method, path, expected status)
    ("auditor", "GET", "/staff/audit", 200),
    ("kenieba", "GET", "/staff/audit", 403),
    ("auditor", "GET", "/staff/simulator", 403),
    ("kenieba", "GET", "/staff/forums/new", 403),
    ("auditor", "POST", "/staff/reports/{ref}/triage", 403),
    ("kenieba", "POST", "/staff/reports/{ref}/triage", 403),
    ("auditor", "POST", "/staff/reports/{ref}/reveal", 403),
    ("kenieba", "POST", "/staff/reports/{ref}/reveal", 403),
    ("auditor", "POST", "/staff/forums/kenieba-mining/coordinators", 403),
    ("auditor", "POST", "/staff/coordinators/1", 403),
    ("kenieba", "POST", "/staff/forums/kenieba-mining/edit", 403),
]


@pytest.mark.parametrize("who, method, path, expected", ROLE_LIMITS)
def test_roles_limit_what_each_account_may_do(who, method, path, expected, signed_in, routed):
    client = signed_in(who)
    data = {"csrf_token": form_token(client, "/staff/reports"), "category": "other", "reason": "x" * 20,
            "name": "X", "phone": "+22376000099"}
    response = client.open(path.format(ref=routed.kenieba), method=method, data=data if method == "POST" else None)
    assert response.status_code == expected
