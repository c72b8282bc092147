"""Signing in and out, and the language switch."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, session, url_for

from gateway.auth import LoginThrottle, check_password, session_fingerprint
from gateway.store.staff import find_by_email, save_language
from gateway.web import runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint
from gateway.web.console.strings import LANGUAGES

MAX_FIELD = 300


@blueprint.get("/")
def home():
    return redirect(url_for("console.reports"))


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("console/login.html", next=_safe_next(request.args.get("next")))
    email = (request.form.get("email") or "").strip().lower()[:MAX_FIELD]
    password = (request.form.get("password") or "")[:MAX_FIELD]
    throttle = LoginThrottle(runtime().redis)
    address = request.remote_addr or "?"
    with runtime().transaction() as db:
        if throttle.blocked(email, address):
            audit(db, "login.throttled", target=email, actor=email or "anonymous")
            return render_template("console/login.html", error="login_throttled", email=email), 429
        user = find_by_email(db, email) if email else None
        password_ok = check_password(user.password_hash if user else None, password)  # hashes even when unknown
        if user is None or not password_ok or not user.active:
            throttle.failed(email, address)
            audit(db, "login.failure", target=email, actor=email or "anonymous")
            return render_template("console/login.html", error="login_failed", email=email), 401
        user.last_login_at = runtime().now()
        audit(db, "login.success", target=user.email, actor=user.email)
        _start_session(user)
    return redirect(_safe_next(request.form.get("next")) or url_for("console.reports"))


def _start_session(user) -> None:
    session.clear()                     # a fresh session: nothing carried over from before sign-in
    session.permanent = True
    session.update(staff_id=user.id, lang=user.language,
                   fp=session_fingerprint(runtime().config.secret_key, user.password_hash))


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console: never an open redirect."""
    if target and target.startswith("/staff/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@blueprint.post("/logout")
def logout():
    with runtime().transaction() as db:
        audit(db, "logout")
    session.clear()
    return redirect(url_for("console.login"))


@blueprint.post("/language")
def set_language():
    language = request.form.get("lang")
    if language not in LANGUAGES:
        abort(400)
    session["lang"] = language
    if g.viewer is not None:
        with runtime().transaction() as db:
            save_language(db, g.viewer.staff_id, language)
    return redirect(_safe_next(request.form.get("next")) or url_for("console.login"))
