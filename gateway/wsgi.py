"""WSGI entry point for production servers: `gunicorn gateway.wsgi:app`.

Without REDIS_URL each server process runs its own embedded queue and worker thread.
"""
from gateway import create_app
from gateway.embedded import start_embedded_worker

app = create_app()
start_embedded_worker(app.extensions["gateway"])
