"""Blueprints: webhooks, health; the staff console and JSON API register here too."""
from __future__ import annotations

from flask import Flask, current_app

from gateway.runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["gateway"]


def register_blueprints(app: Flask) -> None:
    from gateway.web import africastalking, api, console, guard, health, metrics, orange, relay, webhooks

    app.register_blueprint(webhooks.blueprint, url_prefix="/webhooks")
    app.register_blueprint(africastalking.blueprint, url_prefix="/webhooks/africastalking")
    app.register_blueprint(orange.blueprint, url_prefix="/webhooks/orange")
    app.register_blueprint(relay.blueprint, url_prefix="/webhooks/relay")
    app.register_blueprint(health.blueprint)
    app.register_blueprint(metrics.blueprint)
    guard.install(app)
    console.init_app(app)
    app.register_blueprint(api.blueprint, url_prefix="/api/v1")
    app.register_error_handler(413, lambda _e: ("request too large\n", 413, {"Content-Type": "text/plain"}))
