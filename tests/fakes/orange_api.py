"""A local fake of the Orange SMS API (token and send endpoints), for FakeProviderServer.

It issues tokens, refuses sends whose Bearer token it did not issue (or revoked) with 401,
and answers 201 with a resourceURL like Orange's. Tests script send answers in
`send_script`, token answers in `token_script`, or set `down` to answer every send 503.
"""
from __future__ import annotations

import itertools
import json
import threading

from tests.fakes.provider_server import Received, ScriptedResponse

CLIENT_ID, CLIENT_SECRET = "orange-client-id", "orange-client-secret"
SENDER = "+22370000000"
WEBHOOK_TOKEN = "test-orange-token"
SEND_PATH = "/smsmessaging/v1/outbound/tel%3A%2B22370000000/requests"


class OrangeApi:
    def __init__(self, expires_in: int = 3600):
        self.expires_in = expires_in
        self.valid_tokens: set[str] = set()
        self.token_requests: list[Received] = []
        self.sends: list[Received] = []
        self.send_script: list[ScriptedResponse] = []
        self.token_script: list[ScriptedResponse] = []
        self.down = False
        self._ids = itertools.count(1)
        self._token_ids = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self, request: Received) -> ScriptedResponse:
        with self._lock:
            if request.path == "/oauth/v3/token":
                return self._token(request)
            return self._send(request)

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    @property
    def sent(self) -> list[dict]:
        """What was accepted: the outboundSMSMessageRequest of each 201."""
        return [json.loads(r.body)["outboundSMSMessageRequest"] for r in self.sends if getattr(r, "accepted", False)]

    def texts_to(self, number: str) -> list[str]:
        return [m["outboundSMSTextMessage"]["message"] for m in self.sent if m["address"] == "tel:" + number]

    def _token(self, request: Received) -> ScriptedResponse:
        self.token_requests.append(request)
        if self.token_script:
            return self.token_script.pop(0)
        token = f"tok-{next(self._token_ids)}"
        self.valid_tokens.add(token)
        return ScriptedResponse(200, {"token_type": "Bearer", "access_token": token, "expires_in": self.expires_in})

    def _send(self, request: Received) -> ScriptedResponse:
        self.sends.append(request)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return ScriptedResponse(401, {"code": 42, "message": "Expired credentials",
                                          "description": "The requested service needs credentials"})
        if self.down:
            return ScriptedResponse(503, {"code": 5, "message": "Service unavailable"})
        if self.send_script:
            return self.send_script.pop(0)
        request.accepted = True
        message = json.loads(request.body)["outboundSMSMessageRequest"]
        resource = f"https://api.orange.com{SEND_PATH}/r{next(self._ids):08d}"
        return ScriptedResponse(201, {"outboundSMSMessageRequest": dict(message, resourceURL=resource)})


def orange_config(config_env: dict, base_url: str) -> dict:
    """The environment of a gateway that can send through Orange at `base_url`."""
    return dict(config_env, ORANGE_CLIENT_ID=CLIENT_ID, ORANGE_CLIENT_SECRET=CLIENT_SECRET, ORANGE_SENDER=SENDER,
                ORANGE_API_BASE=base_url, ORANGE_WEBHOOK_TOKEN=WEBHOOK_TOKEN)


def orange_error(status: int, kind: str, message_id: str, text: str) -> ScriptedResponse:
    """Orange's OneAPI error body, e.g. (400, "serviceException", "SVC0004", "No valid addresses…")."""
    return ScriptedResponse(status, {"requestError": {kind: {"messageId": message_id, "text": text,
                                                             "variables": "tel:+22376000001"}}})
