"""The staff console under /staff/: server-rendered pages, French first, small and light.

Every page but the login form needs a signed-in, active account; every form carries a CSRF
token (Flask-WTF); every read and write of reporters' data is recorded in the audit log.
"""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from gateway.auth import session_fingerprint
from gateway.store.staff import active_user, viewer_for
from gateway.web import runtime
from gateway.web.console.strings import LANGUAGES, translate

blueprint = Blueprint("console", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")
csrf = CSRFProtect()
PUBLIC_ENDPOINTS = {"console.login", "console.static", "console.set_language"}


def init_app(app: Flask) -> None:
    config = runtime_config(app)
    app.config.update(
        SESSION_COOKIE_SECURE=config.secure_cookies, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="gw_session", PERMANENT_SESSION_LIFETIME=timedelta(hours=config.staff_session_hours),
        # Checked only where the console asks (below): provider webhooks and the token API carry no cookie.
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None)
    csrf.init_app(app)
    from gateway.web.console import audit_views, forums, login, messages, reports, simulator, trends  # noqa: F401  (routes)

    app.register_blueprint(blueprint, url_prefix="/staff")


def runtime_config(app: Flask):
    return app.extensions["gateway"].config


@blueprint.before_request
def load_viewer():
    g.lang = session.get("lang") if session.get("lang") in LANGUAGES else "fr"
    g.viewer = None
    staff_id = session.get("staff_id")
    if staff_id:
        with runtime().transaction() as db:
            user = active_user(db, staff_id)
            if user is not None and session.get("fp") == session_fingerprint(runtime().config.secret_key,
                                                                             user.password_hash):
                g.viewer = viewer_for(db, user)
    if g.viewer is None and request.endpoint not in PUBLIC_ENDPOINTS:
        session.pop("staff_id", None)
        return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


@blueprint.after_request
def private_headers(response):
    """Staff pages show reporters' words: never cache them, frame them, or leak them in a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'"
    return response


@blueprint.app_context_processor
def template_helpers():
    return {"t": lambda key, **values: translate(g.get("lang", "fr"), key, **values),
            "viewer": g.get("viewer"), "lang": g.get("lang", "fr")}


def requires(permission: str):
    """Refuse (403) a view to a signed-in viewer whose role lacks `permission` (a Viewer property)."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not getattr(g.viewer, permission):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorate


def _error_page(code: int, message_key: str):
    g.setdefault("lang", session.get("lang", "fr"))
    return render_template("console/error.html", code=code, message_key=message_key), code


def _csrf_failed(_error: CSRFError):
    return _error_page(400, "csrf_failed")


blueprint.register_error_handler(CSRFError, _csrf_failed)   # more specific than the 400 below
for _code, _key in ((400, "bad_request"), (403, "forbidden"), (404, "not_found")):
    blueprint.register_error_handler(_code, lambda _error, code=_code, key=_key: _error_page(code, key))
