"""The compose file's shape, run as plain processes: migrate, gunicorn web, RQ worker.

Needs a real Redis (REDIS_URL), since web and worker are separate processes.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store.models import Alert, Report
from tests.conftest import TEST_KEYS
from tests.helpers import twilio_form
from tests.test_cli_walkthrough import GATEWAY, free_port, wait_until_up
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")


def post_signed(base: str, public: str, form: dict) -> tuple[int, str]:
    path = "/webhooks/twilio/sms"
    signature = RequestValidator(TEST_KEYS["TWILIO_AUTH_TOKEN"]).compute_signature(public + path, form)
    request = urllib.request.Request(base + path, data=urllib.parse.urlencode(form).encode(),
                                     headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_gunicorn_web_and_rq_worker_process_a_report(runtime, forums, config_env):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **config_env, "PUBLIC_BASE_URL": base}
    web = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "python:gateway.gunicorn_conf",
                            "gateway.wsgi:app", "--bind", f"127.0.0.1:{port}"], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(base, web)
        status, body = post_signed(base, base, twilio_form("Conflit foncier entre orpailleurs a Kenieba"))
        assert status == 200 and "Ref " in body
        worker = subprocess.run([GATEWAY, "worker", "--burst"], env=env, cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        assert worker.returncode == 0, worker.stderr
    finally:
        web.terminate()
        _, log = web.communicate(timeout=10)
    with runtime.transaction() as session:
        assert session.scalar(select(Report.status)) == "routed"
        assert len(session.scalars(select(Alert)).all()) == 1
    assert "Using worker: gevent" in log
    assert "MonkeyPatchWarning" not in log      # nothing imported ssl before the worker patched


def test_gunicorn_settings_import_nothing_that_gevent_must_patch_first():
    """gunicorn's master imports gateway.gunicorn_conf before a gevent worker patches the
    standard library; a module imported then (redis imports ssl) would stay unpatched."""
    code = "import sys, gateway.gunicorn_conf; print(sorted({'ssl', 'redis', 'sqlalchemy', 'flask'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
