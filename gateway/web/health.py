"""Liveness and readiness."""
from __future__ import annotations

from flask import Blueprint, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.web import runtime

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    """The process answers: nothing more is checked."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz():
    """Database and Redis reachable: 200, else 503 naming what is down."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _database_ok() -> bool:
    try:
        with runtime().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        return False


def _redis_ok() -> bool:
    try:
        return bool(runtime().redis.ping())
    except RedisError:
        return False
