"""Twilio Programmable Messaging: inbound webhook, status callbacks and REST sends.

Docs: https://www.twilio.com/docs/messaging/guides/webhook-request and
https://www.twilio.com/docs/usage/webhooks/webhooks-security ; notes in
shared/reference/protocols.md §1.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Mapping

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from gateway.config import Config
from gateway.domain import DeliveryStatus, InboundSms, OutboundSms, SendResult
from gateway.errors import BadSignature, MalformedPayload, ProviderError

NAME = "twilio"
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY = 1600            # Twilio's own limit for Body
SEND_TIMEOUT_SECONDS = 10  # TwilioHttpClient's default is no timeout at all
LOOKUP_LIMIT = 20          # recent messages to one number searched after a worker died mid-send
CLOCK_SKEW = timedelta(minutes=2)   # our clock against Twilio's

# Twilio's MessageStatus values mapped to ours (protocols.md §1.6).
STATUS_MAP = {
    "accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "sending",
    "sent": "sent", "delivered": "delivered", "undelivered": "undelivered", "failed": "failed",
    "read": "read", "canceled": "failed", "partially_delivered": "delivered",
}


def verify(url: str, params: Mapping, signature: str | None, auth_token: str) -> None:
    """Raise BadSignature unless `signature` is Twilio's HMAC over url + params.

    `url` must be rebuilt from PUBLIC_BASE_URL and the raw query string, not Werkzeug's
    request.url, which percent-decodes the query (protocols.md §1.3).
    """
    if not auth_token or not signature:
        raise BadSignature("missing signature")
    if not RequestValidator(auth_token).validate(url, params, signature):
        raise BadSignature("signature does not match")


def sign(url: str, params: Mapping, auth_token: str) -> str:
    """The signature Twilio would send (used by `gateway simulate sms` and tests)."""
    return RequestValidator(auth_token).compute_signature(url, params)


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    """Example payload: MessageSid=SM0123…&From=%2B22376123456&To=%2B15005550006&Body=Attaque+a+Boni"""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    sender = form.get("From") or ""
    body = form.get("Body")
    if not sid or len(sid) > 64 or not sid.isalnum():
        raise MalformedPayload("MessageSid missing or malformed")
    if not sender:
        raise MalformedPayload("From missing")
    if body is None or len(body) > MAX_BODY:
        raise MalformedPayload("Body missing or longer than 1600 characters")
    return InboundSms(provider=NAME, provider_message_id=sid, sender=sender,
                      recipient=form.get("To") or "", body=body)


def parse_status(form: Mapping[str, str]) -> DeliveryStatus:
    """Example payload: MessageSid=SM…&MessageStatus=delivered[&ErrorCode=30003]"""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not sid or len(sid) > 64 or not sid.isalnum() or raw not in STATUS_MAP:
        raise MalformedPayload("MessageSid or MessageStatus missing or unknown")
    code = form.get("ErrorCode") or ""
    return DeliveryStatus(provider=NAME, provider_message_id=sid, status=STATUS_MAP[raw],
                          error_code=code if code.isalnum() and len(code) <= 32 else None, raw_status=raw)


def render_reply(text: str | None) -> tuple[str, str]:
    """TwiML: one <Message> with the receipt, or an empty <Response/> for no reply."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response), "text/xml"


class TwilioSender:
    name = NAME

    def __init__(self, config: Config):
        self._from = config.twilio_from
        self._status_callback = f"{config.public_base_url}/webhooks/twilio/status"
        self._client = Client(config.twilio_account_sid, config.twilio_auth_token,
                              http_client=TwilioHttpClient(timeout=SEND_TIMEOUT_SECONDS))
        if config.twilio_api_base:  # tests and checks point this at a local fake server
            self._client.api.base_url = config.twilio_api_base.rstrip("/")

    def send(self, message: OutboundSms) -> SendResult:
        try:
            created = self._client.messages.create(
                to=message.to, from_=self._from, body=message.body,
                status_callback=message.status_callback or self._status_callback)
        except TwilioRestException as exc:
            raise _classify_rest_error(exc) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            # A read timeout may mean Twilio did send it; an alert sent twice is better
            # than an alert lost, so timeouts are retried like refused connections.
            raise ProviderError(f"connection error: {type(exc).__name__}", retryable=True) from exc
        return _result(created)


    def find_sent(self, message: OutboundSms, since: datetime) -> SendResult | None:
        """The same text to the same number created since `since`, if Twilio has one.

        Used after a worker died mid-send. Twilio lists the newest first; DateSent is empty
        until a message leaves, so the time is checked here on DateCreated.
        """
        since = (since if since.tzinfo else since.replace(tzinfo=timezone.utc)) - CLOCK_SKEW
        try:
            recent = self._client.messages.list(to=message.to, from_=self._from, limit=LOOKUP_LIMIT)
        except TwilioRestException as exc:
            raise _classify_rest_error(exc) from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ProviderError(f"connection error: {type(exc).__name__}", retryable=True) from exc
        for sent in recent:
            if sent.body == message.body and (sent.date_created is None or sent.date_created >= since):
                return _result(sent)
        return None


def _result(message) -> SendResult:
    segments = int(message.num_segments) if str(message.num_segments or "").isdigit() else None
    return SendResult(provider_message_id=message.sid, status=STATUS_MAP.get(message.status, "sent"),
                      segments=segments)


ACCOUNT_HTTP_STATUSES = (401, 403)


def _classify_rest_error(exc: TwilioRestException) -> ProviderError:
    """429 and 5xx may pass later; 401/403 (credentials, suspended account) refuse every message."""
    retryable = exc.status == 429 or exc.status >= 500
    code = str(exc.code) if exc.code else str(exc.status)
    return ProviderError(f"twilio HTTP {exc.status} (code {code})", retryable=retryable, code=code,
                         account=exc.status in ACCOUNT_HTTP_STATUSES)


def make_sender(config: Config) -> TwilioSender:
    return TwilioSender(config)
