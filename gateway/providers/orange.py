"""Orange SMS API (covers Mali): OAuth2 token, sends, delivery receipts, inbound SMS.

Docs: https://developer.orange.com/apis/sms/getting-started ("SMS Africa and Middle East 2.0",
formerly "SMS Mali – Business"); facts and sources in shared/reference/protocols.md §2.6.
- Token: POST /oauth/v3/token with Basic auth and grant_type=client_credentials; it lasts
  `expires_in` seconds (3600). Cached per sender (one per process) and renewed a little
  before it runs out, or at once when a send answers 401.
- Send: POST /smsmessaging/v1/outbound/tel%3A%2B{sender}/requests, Bearer token, a OneAPI
  JSON body; 201 = Orange took it. The message's id is the last segment of the answer's
  resourceURL, the same value Orange puts in a delivery receipt's callbackData.
- Orange does not sign its callbacks ("Real time SMS DR" and "SMS response" URLs are
  given to Orange through a form): the URLs carry ?token=<ORANGE_WEBHOOK_TOKEN>.
"""
from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

import requests

from gateway.config import Config
from gateway.domain import DeliveryStatus, InboundSms, OutboundSms, SendResult
from gateway.errors import MalformedPayload, ProviderError
from gateway.gsm7 import segment_count
from gateway.providers.tokens import verify_token  # noqa: F401  (orange.verify_token for the web layer)

NAME = "orange"
TOKEN_PARAM = "token"
TOKEN_HEADER = "X-Gateway-Token"      # for a reverse proxy that adds it instead of the query string
TIMEOUT_SECONDS = (3.05, 10)
TOKEN_MARGIN_SECONDS = 60             # renew this long before Orange's expiry: clocks and queues drift
MAX_BODY = 1600
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

# deliveryInfo.deliveryStatus (OneAPI values) mapped to ours; statuses only move forward.
STATUS_MAP = {
    "DeliveredToTerminal": "delivered",
    "DeliveryImpossible": "undelivered",     # the network gave up on the handset
    "DeliveredToNetwork": "sent", "MessageWaiting": "sent",          # on its way
    "DeliveryUncertain": "sent", "DeliveryNotificationNotSupported": "sent",   # no news is not a failure
}


# --- callbacks ------------------------------------------------------------------------------

def parse_delivery(payload: Any) -> DeliveryStatus:
    """Example payload (JSON): {"deliveryInfoNotification": {"callbackData": "9d6a1c2e…",
    "deliveryInfo": {"address": "tel:+22376000001", "deliveryStatus": "DeliveredToTerminal"}}}"""
    notification = _mapping(payload, "deliveryInfoNotification")
    info = notification.get("deliveryInfo")
    if isinstance(info, list) and len(info) == 1:     # OneAPI allows a list; Orange sends one entry
        info = info[0]
    message_id = _resource_id(notification.get("callbackData"))
    raw = info.get("deliveryStatus") if isinstance(info, dict) else None
    if message_id is None or not isinstance(raw, str) or raw not in STATUS_MAP:
        raise MalformedPayload("callbackData or deliveryInfo.deliveryStatus missing or unknown")
    failed = STATUS_MAP[raw] == "undelivered"
    return DeliveryStatus(provider=NAME, provider_message_id=message_id, status=STATUS_MAP[raw],
                          error_code=raw if failed else None, raw_status=raw,
                          extra={"failure_reason": "Orange: DeliveryImpossible"} if failed else {})


def parse_inbound(payload: Any) -> InboundSms:
    """Example payload (JSON, OneAPI "SMS response"): {"inboundSMSMessageNotification":
    {"inboundSMSMessage": {"senderAddress": "tel:+22376123456", "destinationAddress": "tel:+22370000000",
    "message": "Attaque a Boni", "messageId": "b3f1…", "dateTime": "2026-11-02T09:00:00Z"}}}

    Orange may leave out messageId; Orange resending one SMS repeats its dateTime, so the
    de-duplication key is then a hash of sender, dateTime and text. Without either, one
    SMS sent twice could not be told from two reports: refused as malformed.
    """
    message = _mapping(_mapping(payload, "inboundSMSMessageNotification"), "inboundSMSMessage")
    sender, body = _tel(message.get("senderAddress")), message.get("message")
    stamp, given_id = str(message.get("dateTime") or ""), str(message.get("messageId") or "")
    if not sender:
        raise MalformedPayload("senderAddress missing")
    if not isinstance(body, str) or len(body) > MAX_BODY:
        raise MalformedPayload("message missing or longer than 1600 characters")
    if _ID.match(given_id):
        message_id = given_id
    elif stamp:
        message_id = "h" + hashlib.sha256(f"{sender}\n{stamp}\n{body}".encode()).hexdigest()[:40]
    else:
        raise MalformedPayload("neither messageId nor dateTime: a resend could not be recognised")
    return InboundSms(provider=NAME, provider_message_id=message_id, sender=sender,
                      recipient=_tel(message.get("destinationAddress")), body=body,
                      received_at=_parse_time(stamp))


def render_reply(_text: str | None = None) -> tuple[str, str]:
    """Orange's callbacks cannot carry a reply: an empty 200 acknowledges them."""
    return "", "text/plain"


def _mapping(value: Any, key: str) -> Mapping:
    inner = value.get(key) if isinstance(value, dict) else None
    if not isinstance(inner, dict):
        raise MalformedPayload(f"{key} missing")
    return inner


def _resource_id(value: Any) -> str | None:
    """An id, or the last path segment when a whole resourceURL is given."""
    text = str(value or "").rstrip("/").rsplit("/", 1)[-1]
    return text if _ID.match(text) else None


def _tel(value: Any) -> str:
    text = str(value or "").strip()
    return text[4:] if text.startswith("tel:") else text


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:               # an unreadable time is not worth refusing a report
        return None


# --- sending --------------------------------------------------------------------------------

@dataclass
class _Token:
    value: str
    renew_at: float          # on the sender's clock


class OrangeSender:
    name = NAME

    def __init__(self, config: Config, clock: Callable[[], float] = time.monotonic):
        self._base = config.orange_api_base.rstrip("/")
        self._authorization = config.orange_authorization_header or "Basic " + base64.b64encode(
            f"{config.orange_client_id}:{config.orange_client_secret}".encode()).decode()
        self._sender = re.sub(r"\D", "", config.orange_sender)
        self._sender_name = config.orange_sender_name
        self._clock = clock
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self._http = requests.Session()

    def send(self, message: OutboundSms) -> SendResult:
        response = self._post_message(message, self._bearer())
        if response.status_code == 401:       # revoked or expired early: one fresh token, one more try
            response = self._post_message(message, self._bearer(renew=True))
        if response.status_code != 201:
            raise _send_error(response)
        return SendResult(provider_message_id=_message_id(response), status="sent",
                          segments=segment_count(message.body))

    def _post_message(self, message: OutboundSms, bearer: str) -> requests.Response:
        url = f"{self._base}/smsmessaging/v1/outbound/{urllib.parse.quote('tel:+' + self._sender, safe='')}/requests"
        request = {"address": "tel:+" + message.to.lstrip("+"), "senderAddress": "tel:+" + self._sender,
                   "outboundSMSTextMessage": {"message": message.body}}
        if self._sender_name:
            request["senderName"] = self._sender_name
        return self._call("send", url, json={"outboundSMSMessageRequest": request},
                          headers={"Authorization": bearer, "Accept": "application/json"})

    def _bearer(self, renew: bool = False) -> str:
        """The cached token while it is good, else a new one (one fetch at a time per process)."""
        with self._lock:
            if renew or self._token is None or self._clock() >= self._token.renew_at:
                self._token = self._fetch_token()
            return "Bearer " + self._token.value

    def _fetch_token(self) -> _Token:
        response = self._call("token", f"{self._base}/oauth/v3/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": self._authorization, "Accept": "application/json"})
        if response.status_code != 200:
            error = _send_error(response)
            raise ProviderError(f"orange token refused: {error.reason}", retryable=error.retryable,
                                code=error.code, account=error.account or response.status_code == 400)
        try:
            answer = response.json()
            value, lifetime = str(answer["access_token"]), int(answer.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            raise ProviderError("orange token: unreadable answer", retryable=True) from None
        margin = min(TOKEN_MARGIN_SECONDS, lifetime // 10)
        return _Token(value, self._clock() + lifetime - margin)

    def _call(self, what: str, url: str, **kwargs) -> requests.Response:
        try:
            return self._http.post(url, timeout=TIMEOUT_SECONDS, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            # A read timeout may mean Orange did send it; an alert twice beats an alert lost.
            raise ProviderError(f"orange {what}: connection error ({type(exc).__name__})", retryable=True) from exc


def _message_id(response: requests.Response) -> str | None:
    """The id in resourceURL (…/requests/<id>), else in the Location header; None if neither."""
    try:
        url = response.json()["outboundSMSMessageRequest"]["resourceURL"]
    except (ValueError, KeyError, TypeError):
        url = response.headers.get("Location")
    return _resource_id(url) if url else None


def _send_error(response: requests.Response) -> ProviderError:
    """Connection trouble, 5xx and 429 may pass; any other refusal will not, and says why."""
    status = response.status_code
    retryable = status == 429 or status >= 500
    code, text = _orange_error(response)
    reason = f"orange HTTP {status}" + (f" ({code}: {text})" if text else "")
    # 401 even with a fresh token, 403 (a policy refusal: no SMS bundle left, sender not allowed)
    # refuse the account, not this message.
    return ProviderError(reason[:200], retryable=retryable, code=code or str(status), account=status in (401, 403))


def _orange_error(response: requests.Response) -> tuple[str | None, str]:
    """Orange answers either a OneAPI requestError (serviceException / policyException with
    messageId SVC…/POL… and text) or its gateway's {"code", "message", "description"}."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    request_error = body.get("requestError") if isinstance(body.get("requestError"), dict) else {}
    for exception in request_error.values():
        if isinstance(exception, dict):
            return str(exception.get("messageId") or "")[:32] or None, str(exception.get("text") or "")[:120]
    if "code" in body or "message" in body:
        text = " - ".join(str(body[key]) for key in ("message", "description") if body.get(key))
        return str(body.get("code") or "")[:32] or None, text[:120]
    return None, ""


def make_sender(config: Config) -> OrangeSender:
    return OrangeSender(config)
