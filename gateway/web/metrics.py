"""GET /metrics: Prometheus text format (gateway.metrics says what is counted and how)."""
from __future__ import annotations

import hmac

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.metrics import render
from gateway.web import runtime

blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
def metrics():
    """Counts only, never personal data. With METRICS_TOKEN set, a bearer token is required."""
    token = runtime().config.metrics_token
    given = request.headers.get("Authorization", "")
    if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": "Bearer"})
    return Response(render(runtime()), content_type=CONTENT_TYPE_LATEST)
