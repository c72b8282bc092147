"""A local HTTP server standing in for a provider's REST API (Twilio, Africa's Talking…).

The real client libraries talk to it over loopback; tests script its answers and read
what it received. Nothing leaves the machine.
"""
from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: str

    @property
    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body))


@dataclass
class ScriptedResponse:
    status: int
    body: dict
    headers: dict = field(default_factory=lambda: {"Content-Type": "application/json"})


class FakeProviderServer:
    """Answers each request with the next scripted response, or with `default(request)`."""

    def __init__(self, default):
        self.requests: list[Received] = []
        self.script: list[ScriptedResponse] = []
        self._default = default
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeProviderServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def respond(self, request: Received) -> ScriptedResponse:
        with self._lock:
            self.requests.append(request)
            return self.script.pop(0) if self.script else self._default(request)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", errors="replace")
                reply = fake.respond(Received(self.command, self.path, dict(self.headers), body))
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = _serve

            def log_message(self, *args):  # keep test output quiet
                pass

        return Handler


def twilio_created(request: Received) -> ScriptedResponse:
    """Twilio's 201 answer to Messages.json, with a fresh SID."""
    sid = f"SM{len(request.body):04d}{abs(hash(request.body)) % 10**28:028d}"
    return ScriptedResponse(201, {"sid": sid, "status": "queued", "num_segments": "1",
                                  "to": request.form.get("To"), "body": request.form.get("Body")})


def twilio_error(status: int, code: int) -> ScriptedResponse:
    return ScriptedResponse(status, {"code": code, "message": "scripted error", "status": status})


def at_answer(status_code: int, status: str, message_id: str, number: str | None) -> ScriptedResponse:
    """Africa's Talking's 201 answer to /version1/messaging for one recipient (protocols.md §2.3)."""
    recipient = {"statusCode": status_code, "number": number, "status": status, "cost": "XOF 25.0000",
                 "messageId": message_id}
    sent = 1 if status_code in (100, 101, 102) else 0
    return ScriptedResponse(201, {"SMSMessageData": {"Message": f"Sent to {sent}/1 Total Cost: XOF 25.0000",
                                                     "Recipients": [recipient]}})


def at_sent(request: Received) -> ScriptedResponse:
    """The usual answer: sent, with a fresh message id."""
    return at_answer(101, "Success", f"ATXid_{abs(hash(request.body)) % 10**24:024d}", request.form.get("to"))


def at_refused(status_code: int, status: str) -> ScriptedResponse:
    """A 2xx whose recipient entry says the message was not sent."""
    return at_answer(status_code, status, "None", "+22376000001")


class TwilioLedger:
    """A Twilio that remembers what it accepted: POST creates, GET Messages.json lists (newest first).

    Use as the default responder: FakeProviderServer(TwilioLedger()).
    """

    def __init__(self, clock=None):
        self.created: list[dict] = []
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()

    def __call__(self, request: Received) -> ScriptedResponse:
        if request.method == "GET":
            return self._list(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.path).query)))
        reply = twilio_created(request)
        with self._lock:
            self.created.append(dict(reply.body, date_created=format_datetime(self._clock())))
        return reply

    def _list(self, query: dict) -> ScriptedResponse:
        with self._lock:
            found = [m for m in reversed(self.created) if m["to"] == query.get("To")]
        return ScriptedResponse(200, {"messages": found, "end": len(found), "page": 0, "page_size": 50,
                                      "start": 0, "next_page_uri": None, "previous_page_uri": None,
                                      "first_page_uri": None, "uri": "/Messages.json"})


def relay_accepted(request: Received) -> ScriptedResponse:
    """SMS Gateway for Android's 202 answer to POST /message: queued for the phone, with its id."""
    sent = json.loads(request.body)
    message_id = f"rl{abs(hash(request.body)) % 10**18:018d}"
    return ScriptedResponse(202, {"id": message_id, "deviceId": "ffffffffceb0b1db0000018e937c815b", "state": "Pending",
                                  "isEncrypted": False, "recipients": [{"phoneNumber": number, "state": "Pending",
                                                                        "error": None}
                                                                       for number in sent["phoneNumbers"]]})
