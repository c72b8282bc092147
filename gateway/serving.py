"""Run gunicorn from the `gateway serve` command (the compose file calls gunicorn directly)."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, app_uri: str, options: dict):
        self._uri = app_uri
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        from gateway import gunicorn_conf

        defaults = {key: getattr(gunicorn_conf, key) for key in self.cfg.settings if hasattr(gunicorn_conf, key)}
        for key, value in {**defaults, **self._options}.items():
            self.cfg.set(key, value)

    def load(self):
        from gunicorn.util import import_app

        return import_app(self._uri)


def run_gunicorn(app_uri: str, **options) -> None:
    _Gunicorn(app_uri, options).run()
