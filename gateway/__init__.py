"""The web process and everything it shares with workers.

create_app() is the only wiring place: it builds the runtime (config, database, queues,
providers) and registers the blueprints.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:        # imported in create_app: see below
    from flask import Flask

    from gateway.config import Config
    from gateway.runtime import Runtime

MAX_REQUEST_BYTES = 64 * 1024   # an SMS webhook is under 4 KiB; anything far larger is not one


def create_app(config: Config | Mapping | None = None, *, runtime: Runtime | None = None) -> Flask:
    # Imports here, not at the top: gunicorn's master imports this package for its settings
    # (gateway.gunicorn_conf) before the gevent worker patches the standard library, and
    # anything imported then (redis imports ssl) would be left unpatched.
    from flask import Flask

    from gateway.config import load_config
    from gateway.runtime import build_runtime, install

    if runtime is None:
        if config is None or isinstance(config, Mapping):
            config = load_config(**dict(config or {}))
        runtime = build_runtime(config)
    install(runtime)
    from gateway.logs import configure_logging
    from gateway.spool import Spool
    from gateway.web import register_blueprints

    configure_logging()
    Spool.from_config(runtime.config).check_writable()   # no spool, no durability: refuse to start
    app = Flask(__name__)
    app.config.update(SECRET_KEY=runtime.config.secret_key, MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    app.extensions["gateway"] = runtime
    register_blueprints(app)
    if runtime.config.trusted_proxy_hops:   # per-IP limits must see the provider, not the proxy
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=runtime.config.trusted_proxy_hops)
    return app
