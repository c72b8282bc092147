"""Signing in: argon2 passwords, secure cookies, CSRF, throttling (failing open), audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.auth import LoginThrottle, ThrottlePolicy
from gateway.runtime import redis_from_url
from gateway.store.models import AuditEvent, StaffUser
from tests.console.conftest import ACCOUNTS, PASSWORD, csrf_of, form_token, sign_in


def login(client, email: str, password: str, token: str | None = None):
    token = token if token is not None else form_token(client, "/staff/login")
    return client.post("/staff/login", data={"email": email, "password": password, "csrf_token": token})


def actions(runtime) -> list[tuple[str, str | None]]:
    with runtime.transaction() as session:
        return [(e.action, e.target) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_login_form_posts_email_password_and_a_hidden_csrf_token(client):
    html = client.get("/staff/login").get_data(as_text=True)
    for field in ('name="email"', 'name="password"', 'type="hidden" name="csrf_token"'):
        assert field in html
    assert 'lang="fr"' in html and "Connexion" in html


def test_passwords_are_stored_as_argon2id(runtime, staff):
    with runtime.transaction() as session:
        stored = session.scalar(select(StaffUser.password_hash).where(StaffUser.email == "admin@example.ml"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_good_login_sets_a_secure_httponly_lax_cookie_and_is_audited(app, client, runtime, staff):
    response = login(client, "ADMIN@example.ml ", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/reports")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("login.success", "admin@example.ml") in actions(runtime)
    assert client.get("/staff/reports").status_code == 200


@pytest.mark.parametrize("email, password", [
    ("admin@example.ml", "wrong password"),
    ("nobody@example.ml", PASSWORD),
    ("", ""),
    ("x" * 5000, "y" * 5000),
])
def test_a_bad_login_is_refused_and_audited(client, runtime, staff, email, password):
    response = login(client, email, password)
    assert response.status_code == 401
    assert "incorrect" in response.get_data(as_text=True)
    assert actions(runtime)[-1][0] == "login.failure"
    assert client.get("/staff/reports").status_code == 302


def test_a_post_without_the_csrf_token_is_refused(client, staff):
    response = login(client, "admin@example.ml", PASSWORD, token="")
    assert response.status_code == 400 and "expir" in response.get_data(as_text=True)


def test_a_signed_in_form_without_csrf_is_refused(signed_in, routed):
    admin = signed_in("admin")
    response = admin.post(f"/staff/reports/{routed.kenieba}/triage", data={"category": "other"})
    assert response.status_code == 400


def test_repeated_failures_for_one_email_are_throttled_even_with_the_right_password(client, runtime, staff):
    for _ in range(5):
        assert login(client, "admin@example.ml", "wrong password").status_code == 401
    response = login(client, "admin@example.ml", PASSWORD)
    assert response.status_code == 429
    assert actions(runtime)[-1] == ("login.throttled", "admin@example.ml")
    assert login(client, "auditor@example.ml", PASSWORD).status_code == 302   # other accounts unaffected


def test_many_failures_from_one_address_are_throttled(redis_connection):
    throttle = LoginThrottle(redis_connection, ThrottlePolicy(max_per_email=100, max_per_address=3))
    for index in range(3):
        assert not throttle.blocked(f"user{index}@example.ml", "10.0.0.1")
        throttle.failed(f"user{index}@example.ml", "10.0.0.1")
    assert throttle.blocked("someone-new@example.ml", "10.0.0.1")
    assert not throttle.blocked("someone-new@example.ml", "10.0.0.2")


def test_throttling_fails_open_when_redis_is_down(app, runtime, staff):
    runtime.redis = redis_from_url("redis://127.0.0.1:1/0")    # the gateway's own client; nothing listens there
    client = app.test_client()
    assert login(client, "admin@example.ml", "wrong password").status_code == 401
    assert login(client, "admin@example.ml", PASSWORD).status_code == 302


def test_a_disabled_account_loses_its_session_at_once(app, runtime, signed_in):
    admin = signed_in("admin")
    with runtime.transaction() as session:
        session.scalar(select(StaffUser).where(StaffUser.email == ACCOUNTS["admin"][0])).active = False
    assert admin.get("/staff/reports").status_code == 302
    assert login(app.test_client(), "admin@example.ml", PASSWORD).status_code == 401


def test_a_password_change_signs_out_existing_sessions(runtime, signed_in):
    admin = signed_in("admin")
    with runtime.transaction() as session:
        session.scalar(select(StaffUser).where(StaffUser.email == ACCOUNTS["admin"][0])).password_hash = "$argon2id$other"
    assert admin.get("/staff/reports").status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/staff/messages", "/staff/messages"),
    ("https://evil.example/", "/staff/reports"),
    ("//evil.example/staff/", "/staff/reports"),
])
def test_after_login_only_console_paths_are_followed(client, staff, target, expected):
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", data={"email": "admin@example.ml", "password": PASSWORD,
                                                 "csrf_token": token, "next": target})
    assert response.headers["Location"].endswith(expected) and "evil" not in response.headers["Location"]


def test_logout_ends_the_session_and_is_audited(app, runtime, staff):
    admin = sign_in(app, "admin")
    response = admin.post("/staff/logout", data={"csrf_token": form_token(admin, "/staff/reports")})
    assert response.status_code == 302
    assert admin.get("/staff/reports").status_code == 302
    assert actions(runtime)[-1] == ("logout", None)


def test_the_language_switch_turns_the_console_to_english_and_back(signed_in):
    admin = signed_in("admin")
    token = form_token(admin, "/staff/reports")
    admin.post("/staff/language", data={"lang": "en", "csrf_token": token, "next": "/staff/reports"})
    page = admin.get("/staff/reports").get_data(as_text=True)
    assert 'lang="en"' in page and "Reports" in page and "Signalements" not in page
    admin.post("/staff/language", data={"lang": "fr", "csrf_token": token})
    assert "Signalements" in admin.get("/staff/reports").get_data(as_text=True)


def test_staff_pages_are_never_cached_or_framed(signed_in):
    response = signed_in("admin").get("/staff/reports")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_request_logs_keep_the_path_but_not_the_query_string():
    import logging

    from gateway.logs import DropQueryStrings

    record = logging.LogRecord("werkzeug", logging.INFO, "", 0, '"%s" %s %s',
                               ("GET /staff/messages?q=armes+Zakaria HTTP/1.1", "200", "-"), None)
    DropQueryStrings().filter(record)
    assert record.getMessage() == '"GET /staff/messages?… HTTP/1.1" 200 -'
