"""What every webhook does before it reads a field: throttle probers, then authenticate.

    refused = authenticate("africastalking", lambda: africastalking.verify_token(...))
    if refused:
        return refused

`verify` raises BadSignature when the request is not the provider's. An address that has
failed too often lately gets 429 instead of 403 (gateway.limits explains why this cannot
cost a real report). Only failures touch Redis: checking a signature costs microseconds,
a Redis round trip on every genuine request would cost far more.
"""
from __future__ import annotations

import logging
from typing import Callable

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

from gateway import limits, metrics
from gateway.errors import BadSignature
from gateway.spool import SpoolUnavailable
from gateway.web import runtime

log = logging.getLogger(__name__)


def plain(text: str, status: int, headers: dict | None = None) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain", headers=headers)


def authenticate(provider: str, verify: Callable[[], None]) -> Response | None:
    """None when the request is the provider's; else the 429 or 403 to return."""
    try:
        verify()
        return None
    except BadSignature:
        pass
    rt = runtime()
    limit = rt.config.rate_limit_auth_failures_per_ip
    if limits.hit(rt.redis, "auth-failures", request.remote_addr or "unknown", limit):
        metrics.record(rt.redis, "webhook_requests", provider=provider, outcome="rate_limited")
        return plain("too many failed requests; try later", 429,
                     {"Retry-After": str(limits.retry_after(limit[1]))})
    metrics.record(rt.redis, "webhook_requests", provider=provider, outcome="bad_signature")
    log.warning("rejected webhook", extra={"provider": provider, "reason": "bad signature"})
    return plain("invalid signature", 403)


def install(app: Flask) -> None:
    """App-wide answers for failures that are not the caller's fault."""
    app.register_error_handler(SpoolUnavailable, _not_durable)
    app.session_interface = _NoSessionForWebhooks()


class _NoSessionForWebhooks(SecureCookieSessionInterface):
    """Providers send no cookies: skip building the signed-cookie serializer on every webhook
    (a tenth of a millisecond, on every USSD hop). Other pages keep Flask's sessions."""

    def open_session(self, app: Flask, request):
        return None if request.path.startswith("/webhooks/") else super().open_session(app, request)


def _not_durable(_error: SpoolUnavailable) -> Response:
    # Neither the database nor the spool took the message: it is not durable, so we must
    # not acknowledge it. 503 tells the provider to try again.
    log.error("database down and spool unwritable; message refused")
    return plain("temporarily unavailable", 503, {"Retry-After": "30"})
