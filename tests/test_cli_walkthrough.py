"""The README walk-through, as a newcomer runs it: serve on embedded defaults, simulate an SMS."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = shutil.which("gateway", path=str(Path(sys.executable).parent)) or "gateway"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gateway(env, *args, **kwargs):
    return subprocess.run([GATEWAY, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, **kwargs)


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL")}
    env["GATEWAY_INSTANCE_DIR"] = str(tmp_path / "instance")
    return env


def wait_until_up(url: str, server) -> None:
    for _ in range(600):             # up to a minute: a loaded 2-core CI machine starts slowly
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return
        except OSError:
            assert server.poll() is None, server.stderr.read()
            time.sleep(0.1)
    raise AssertionError("gateway did not start")


def test_serve_on_embedded_defaults_then_simulate_an_sms(embedded_env):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([GATEWAY, "serve", "--port", str(port)], env=embedded_env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_up(url, server)
        loaded = gateway(embedded_env, "config", "load", "config/forums.demo.yaml")
        assert loaded.returncode == 0, loaded.stderr
        sent = gateway(embedded_env, "simulate", "sms", "--url", url, "--from", "+22376123456",
                       "Bagarre sur le site d'orpaillage de Kenieba")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert sent.stdout.startswith("Merci, message recu. Ref ")
        reference = sent.stdout.split("Ref ")[1].split(".")[0]
        for _ in range(50):                      # the embedded worker processes it in the background
            outbox = gateway(embedded_env, "outbox").stdout
            if "alert" in outbox:
                break
            time.sleep(0.1)
        assert f"ALERTE {reference}" in outbox and "Coordinateur K" in outbox
        assert "+22376123456" not in outbox
        assert (Path(embedded_env["GATEWAY_INSTANCE_DIR"]) / "gateway.sqlite").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_worker_refuses_to_run_without_redis(embedded_env):
    result = gateway(embedded_env, "worker", "--burst")
    assert result.returncode == 2 and "REDIS_URL" in result.stderr
