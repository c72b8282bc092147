"""Relay phone: "SMS Gateway for Android" (sms-gate.app, github.com/capcom6/android-sms-gateway).

An Android phone with a local SIM (Orange Mali, Moov Africa Malitel) receives reporters' SMS
and POSTs them to us as signed JSON webhooks; we send through the app's REST API (the phone's
own local server, the public cloud server, or a private server the phone pulls from).

Wire format, as documented and as the app's source does it:
- Webhook body: {"deviceId", "event", "id" (this emission), "webhookId", "payload": {...}}
  (docs-web docs/features/webhooks.md "Step 5"). Events used here: sms:received, sms:sent,
  sms:delivered, sms:failed, system:ping.
- Signature: hex HMAC-SHA256, keyed with the app's signing key, over the raw body bytes
  followed by the X-Timestamp value (unix seconds): headers X-Signature and X-Timestamp
  (webhooks.md "Payload Signing"; app source modules/webhooks/plugins/PayloadSingingPlugin.kt).
  The plugin signs each attempt afresh, so a retry days later carries a fresh timestamp and
  a stale one is a replay, not a retry.
- sms:received `messageId` is the hash of the inbox message (sender, date, SIM, text: app source
  ReceiverService.kt, InboxMessage.hashCode()): stable over every resend of one SMS, whatever
  the emission `id`, but only 32 bits ("not guaranteed to be unique", webhooks.md). See dedup_key.
- Send: POST {base}/message, HTTP Basic, {"textMessage": {"text"}, "phoneNumbers": [...]};
  202 with {"id", "state", "recipients": [{"phoneNumber", "state", "error"}]} (docs-web
  docs/features/sending-messages.md, getting-started/local-server.md; client-py client.py).
  `id` is the messageId of the sms:sent/delivered/failed events that follow.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import requests

from gateway.config import Config
from gateway.domain import DeliveryStatus, InboundSms, OutboundSms, SendResult
from gateway.errors import BadSignature, MalformedPayload, ProviderError
from gateway.gsm7 import segment_count

NAME = "relay"
SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
MAX_CLOCK_SKEW = timedelta(minutes=5)    # the app's docs advise ±5 minutes against replays
MAX_BODY = 1600
SEND_TIMEOUT_SECONDS = (3.05, 15)        # a phone on a mobile link answers slower than an API
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")

RECEIVED, PING = "sms:received", "system:ping"
# Delivery events mapped to our statuses; statuses only move forward (store/outbound.py).
STATUS_EVENTS = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed"}
KNOWN_EVENTS = {RECEIVED, PING, *STATUS_EVENTS}


@dataclass(frozen=True)
class RelayEvent:
    event: str
    device_id: str
    payload: dict


def verify(body: bytes, timestamp: str | None, signature: str | None, key: str, now: datetime) -> None:
    """Raise BadSignature unless the body is signed with our key at a time close to `now`."""
    if not key or not signature or not timestamp:
        raise BadSignature("missing signature, timestamp or key")
    if not (timestamp.isdigit() and len(timestamp) <= 12) or not _HEX.match(signature):
        raise BadSignature("unreadable signature or timestamp")
    if not hmac.compare_digest(sign(body, timestamp, key), signature.lower()):
        raise BadSignature("signature does not match")
    signed_at = datetime.fromtimestamp(int(timestamp), timezone.utc)
    if abs(now - signed_at) > MAX_CLOCK_SKEW:    # checked after the HMAC: the time is the app's word
        raise BadSignature("timestamp too far from now (replayed?)")


def sign(body: bytes, timestamp: str, key: str) -> str:
    """The app's signature (used by tests and `verify`)."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def parse_event(body: bytes) -> RelayEvent:
    """Example: {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": "sms:received",
    "id": "Ey6ECgOkVVFjz3CL48B8C", "webhookId": "…", "payload": {…}}"""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedPayload("body is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("payload"), dict):
        raise MalformedPayload("no payload object")
    event, device_id = document.get("event"), document.get("deviceId")
    if not isinstance(event, str) or not event or len(event) > 40:
        raise MalformedPayload("event missing")
    if not isinstance(device_id, str) or not _ID.match(device_id):
        raise MalformedPayload("deviceId missing or malformed")
    return RelayEvent(event=event, device_id=device_id, payload=document["payload"])


def parse_inbound(event: RelayEvent) -> InboundSms:
    """Example payload: {"messageId": "abc123", "message": "Attaque a Boni", "phoneNumber": "+22376123456",
    "simNumber": 1, "receivedAt": "2026-11-02T09:00:00.000+00:00"}"""
    payload = event.payload
    sender = payload.get("phoneNumber") or payload.get("sender")   # newer app versions add `sender`
    body, message_id = payload.get("message"), payload.get("messageId")
    if not isinstance(sender, str) or not sender or len(sender) > 32:
        raise MalformedPayload("phoneNumber missing")
    if not isinstance(body, str) or len(body) > MAX_BODY:
        raise MalformedPayload("message missing or longer than 1600 characters")
    if message_id is not None and (not isinstance(message_id, str) or not _ID.match(message_id)):
        raise MalformedPayload("messageId malformed")
    received_at = _parse_time(payload.get("receivedAt"))
    return InboundSms(provider=NAME, provider_message_id=dedup_key(message_id, sender, received_at, payload, body),
                      sender=sender, recipient=_text(payload.get("recipient")), body=body,
                      received_at=received_at)


def dedup_key(message_id: str | None, sender: str, received_at: datetime | None, payload: dict, body: str) -> str:
    """The app's messageId, widened with a digest of the fields it hashes.

    Every resend of one SMS carries the same messageId and the same fields, so the key is
    stable however often the phone resends and whatever the emission `id`. The messageId is a
    32-bit hash: at ten thousand SMS the odds that two different ones share it are about one
    in a hundred, and a collision would silently drop a report as a "duplicate". The digest
    (sender, time of receipt as an instant, text) makes that impossible in practice.
    """
    when = received_at.isoformat() if received_at else str(payload.get("receivedAt"))
    digest = hashlib.sha256("\n".join((sender, when, body)).encode()).hexdigest()[:20]
    return f"{message_id or 'h'}-{digest}"


def parse_delivery(event: RelayEvent) -> DeliveryStatus:
    """Example payload (sms:failed): {"messageId": "zXDYfTmTVf3iMd16zzdBj", "phoneNumber": "+22376000001",
    "simNumber": 1, "failedAt": "2026-11-02T09:01:00.000+00:00", "reason": "RESULT_ERROR_GENERIC_FAILURE"}"""
    message_id = event.payload.get("messageId")
    if not isinstance(message_id, str) or not _ID.match(message_id):
        raise MalformedPayload("messageId missing or malformed")
    reason = event.payload.get("reason")
    reason = reason[:200] if isinstance(reason, str) and reason else None
    return DeliveryStatus(provider=NAME, provider_message_id=message_id, status=STATUS_EVENTS[event.event],
                          raw_status=event.event, extra={"failure_reason": reason} if reason else {})


def _text(value) -> str:
    """The SIM's own number, which newer app versions add as `recipient` (may be absent or null)."""
    return value[:32] if isinstance(value, str) else ""


def _parse_time(value) -> datetime | None:
    """The device's local time with its offset; an unreadable time is not worth refusing a report."""
    try:
        return datetime.fromisoformat(value).astimezone(timezone.utc) if isinstance(value, str) else None
    except ValueError:
        return None


def render_reply() -> tuple[str, str]:
    """The app reads only the status: any 2xx stops its retries (webhooks.md "Retry Policy")."""
    return "", "text/plain"


class RelaySender:
    """Sends through the app's API with plain requests: one POST, and we need the HTTP status
    to tell a retryable failure from a permanent one."""
    name = NAME

    def __init__(self, config: Config):
        self._url = config.relay_api_base.rstrip("/") + "/message"
        self._auth = (config.relay_username, config.relay_password)

    def send(self, message: OutboundSms) -> SendResult:
        request = {"textMessage": {"text": message.body}, "phoneNumbers": [message.to], "withDeliveryReport": True}
        try:
            response = requests.post(self._url, json=request, auth=self._auth, timeout=SEND_TIMEOUT_SECONDS)
        except (requests.ConnectionError, requests.Timeout) as exc:
            # A read timeout may mean the phone took it; an alert twice beats an alert lost.
            raise ProviderError(f"connection error: {type(exc).__name__}", retryable=True) from exc
        return SendResult(provider_message_id=_accepted_id(response), status="sent",
                          segments=segment_count(message.body))


def _accepted_id(response: requests.Response) -> str:
    """The app's message id, or ProviderError saying whether a retry may help."""
    status = response.status_code
    if status == 429 or status >= 500:     # the cloud server's rate limit, or a phone/server in trouble
        raise ProviderError(f"relay HTTP {status}", retryable=True, code=str(status))
    if not 200 <= status < 300:            # 400 invalid number; 401/403 our credentials: the account's
        raise ProviderError(f"relay HTTP {status}", retryable=False, code=str(status), account=status in (401, 403))
    try:
        answer = response.json()
        message_id, recipients = answer["id"], answer.get("recipients") or []
    except (ValueError, KeyError, TypeError):
        raise ProviderError("relay: no message id in the answer", retryable=False) from None
    failed = [r for r in recipients if isinstance(r, dict) and r.get("state") == "Failed"]
    if failed:
        raise ProviderError(f"relay: refused ({str(failed[0].get('error'))[:60]})", retryable=False, code="Failed")
    if not isinstance(message_id, str) or not _ID.match(message_id):
        raise ProviderError("relay: unreadable message id in the answer", retryable=False)
    return message_id


def make_sender(config: Config) -> RelaySender:
    return RelaySender(config)
