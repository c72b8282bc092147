"""Load generators: wrk at a fixed number of connections, and a paced sender at a fixed rate."""
from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.ingestkit.corpus import SMS_PATH

LUA = Path(__file__).with_name("replay.lua")
_REF = re.compile(r"Ref (\w+)")


def run_wrk(url: str, corpus: Path, *, connections: int, threads: int, seconds: int, out: Path) -> dict:
    """Closed-loop load: `connections` requests always in flight for `seconds`."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    env = {"BENCH_CORPUS": str(corpus), "BENCH_OUT": str(out), "BENCH_THREADS": str(threads), "PATH": "/usr/bin:/bin"}
    subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                    "-s", str(LUA), url + SMS_PATH], env=env, check=True, capture_output=True, timeout=seconds + 120)
    return json.loads(out.read_text())


@dataclass
class PacedResult:
    sent: int = 0
    statuses: dict = field(default_factory=dict)
    accepted: dict = field(default_factory=dict)     # reference -> time the 200 arrived (time.time())
    latencies: list = field(default_factory=list)    # seconds, request to response
    late_starts: int = 0                             # sends that left > 50 ms behind schedule


class PacedSender:
    """Open-loop load: one request every 1/rate s, whatever the server's latency (no
    coordinated omission), over keep-alive connections from a pool of threads."""

    def __init__(self, host: str, port: int, requests: list[tuple[str, str]], rate: float, pool: int = 32):
        self._host, self._port, self._requests, self._rate = host, port, requests, rate
        self._pool = pool
        self._local = threading.local()
        self._lock = threading.Lock()
        self.result = PacedResult()

    def run(self) -> PacedResult:
        start = time.monotonic() + 0.2
        with ThreadPoolExecutor(self._pool) as executor:
            for n, request in enumerate(self._requests):
                due = start + n / self._rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                elif delay < -0.05:
                    self.result.late_starts += 1
                executor.submit(self._send, *request)
        return self.result

    def _send(self, signature: str, body: str) -> None:
        begun = time.time()
        try:
            status, text = self._post(signature, body)
        except (OSError, http.client.HTTPException):
            self._local.connection = None
            status, text = "error", ""
        finished = time.time()
        with self._lock:
            self.result.sent += 1
            self.result.statuses[str(status)] = self.result.statuses.get(str(status), 0) + 1
            self.result.latencies.append(finished - begun)
            match = _REF.search(text) if status == 200 else None
            if match:
                self.result.accepted[match.group(1)] = finished

    def _post(self, signature: str, body: str) -> tuple[int, str]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = http.client.HTTPConnection(self._host, self._port, timeout=10)
        connection.request("POST", SMS_PATH, body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
        response = connection.getresponse()
        return response.status, response.read().decode()
