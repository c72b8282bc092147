"""Africa's Talking: USSD hops, inbound SMS, delivery reports and REST sends.

Docs: https://developers.africastalking.com/docs/ussd/overview ,
https://developers.africastalking.com/docs/sms/notifications ; notes and pitfalls in
shared/reference/protocols.md §2.2–2.4. Africa's Talking does not sign its callbacks: the
callback URLs carry `?token=<AT_WEBHOOK_TOKEN>`, compared here in constant time.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Mapping

import requests
from africastalking.SMS import SMSService

from gateway.config import Config
from gateway.domain import DeliveryStatus, InboundSms, OutboundSms, SendResult, UssdHop, UssdSessionEnd
from gateway.errors import MalformedPayload, ProviderError
from gateway.gsm7 import segment_count
from gateway.providers.tokens import verify_token  # noqa: F401  (at.verify_token, as before)

NAME = "africastalking"
TOKEN_PARAM = "token"
MAX_BODY = 1600
MAX_USSD_TEXT = 4000             # every input of a session; a journey needs well under 1000
SEND_TIMEOUT_SECONDS = (3.05, 10)
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SENT_CODES = {100, 101, 102}     # Processed, Sent, Queued (protocols.md §2.3)

# Delivery report `status` mapped to ours; statuses only move forward (store/outbound.py).
STATUS_MAP = {
    "sent": "sent", "submitted": "sent", "buffered": "sent",   # with the operator, not yet on the phone
    "success": "delivered",
    "failed": "undelivered",       # the operator could not reach the handset
    "rejected": "failed",          # the operator refused it
}


def parse_ussd(form: Mapping[str, str]) -> UssdHop:
    """Example payload: sessionId=ATUid_1f2e…&serviceCode=*384*123%23&phoneNumber=%2B22376123456
    &networkCode=61002&text=1*3*2   (text: every input so far joined by "*"; "" on the first hop)"""
    session_id = form.get("sessionId") or ""
    text = form.get("text")
    if not _ID.match(session_id):
        raise MalformedPayload("sessionId missing or malformed")
    if not form.get("phoneNumber"):
        raise MalformedPayload("phoneNumber missing")
    if text is None or len(text) > MAX_USSD_TEXT:
        raise MalformedPayload("text missing or too long")
    return UssdHop(provider=NAME, session_id=session_id, phone_number=form["phoneNumber"],
                   service_code=form.get("serviceCode") or "", network_code=form.get("networkCode") or "",
                   text=text)


SESSION_END_STATUSES = {"Success": "success", "Incomplete": "incomplete", "Failed": "failed"}


def parse_session_end(form: Mapping[str, str]) -> UssdSessionEnd:
    """The end-of-session notification (a callback URL of its own; protocols.md §2.2, field list
    unverified against AT's own pages). Example: sessionId=ATUid_1f2e…&phoneNumber=%2B22376123456
    &status=Incomplete&hopsCount=4&durationInMillis=41000&lastAppResponse=CON+…&errorMessage="""
    session_id = form.get("sessionId") or ""
    if not _ID.match(session_id):
        raise MalformedPayload("sessionId missing or malformed")
    if not form.get("phoneNumber"):
        raise MalformedPayload("phoneNumber missing")
    status = SESSION_END_STATUSES.get(form.get("status") or "")
    if status is None:
        raise MalformedPayload("status must be Success, Incomplete or Failed")
    error = (form.get("errorMessage") or "")[:120] if status == "failed" else ""
    return UssdSessionEnd(provider=NAME, session_id=session_id, phone_number=form["phoneNumber"],
                          status=status, error=error)


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    """Example payload: from=%2B22376123456&to=12345&text=Attaque+a+Boni&date=2026-11-02+09%3A00%3A00
    &id=ATXid_6c1d…&linkId=…"""
    message_id, sender, body = form.get("id") or "", form.get("from") or "", form.get("text")
    if not _ID.match(message_id):
        raise MalformedPayload("id missing or malformed")
    if not sender:
        raise MalformedPayload("from missing")
    if body is None or len(body) > MAX_BODY:
        raise MalformedPayload("text missing or longer than 1600 characters")
    return InboundSms(provider=NAME, provider_message_id=message_id, sender=sender,
                      recipient=form.get("to") or "", body=body, received_at=_parse_date(form.get("date")))


def _parse_date(value: str | None) -> datetime | None:
    """AT sends 'yyyy-MM-dd HH:mm:ss' (UTC); an unreadable date is not worth refusing a report."""
    try:
        return datetime.strptime(value or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def parse_delivery(form: Mapping[str, str]) -> DeliveryStatus:
    """Example payload: id=ATXid_6c1d…&status=Failed&phoneNumber=%2B22376000001&networkCode=61002
    &failureReason=UserInBlackList&retryCount=0"""
    message_id, raw = form.get("id") or "", (form.get("status") or "").strip()
    if not _ID.match(message_id) or raw.lower() not in STATUS_MAP:
        raise MalformedPayload("id or status missing or unknown")
    return DeliveryStatus(provider=NAME, provider_message_id=message_id, status=STATUS_MAP[raw.lower()],
                          error_code=(form.get("failureReason") or None), raw_status=raw)


def render_ussd(text: str, end: bool) -> tuple[str, str]:
    """`CON …` keeps the session open for an answer, `END …` closes it (protocols.md §2.2)."""
    return ("END " if end else "CON ") + text, "text/plain"


def render_reply(_text: str | None = None) -> tuple[str, str]:
    """SMS and delivery callbacks cannot carry a reply: an empty 200 acknowledges them."""
    return "", "text/plain"


class _RawSmsService(SMSService):
    """The SDK's SMS service, handing back the HTTP response itself.

    SDK 2.0.3 raises AfricasTalkingException(body) on any non-2xx, losing the status we
    need to tell a retryable 5xx from a permanent 4xx, and returns a str instead of a dict
    unless Content-Type is exactly `application/json` (protocols.md §2.4). So it builds and
    validates the request (URL, form, headers, E.164 recipients) and we read the answer.
    """

    def _make_request(self, url, method, headers, data, params, callback=None, timeout=None):
        return requests.post(url=url, headers=headers, params=params, data=data,
                             timeout=timeout or SEND_TIMEOUT_SECONDS)


class AfricasTalkingSender:
    name = NAME

    def __init__(self, config: Config):
        # An instance of our own, not africastalking.initialize(): its module-level
        # singletons would be shared by every sender in the process.
        self._sms = _RawSmsService(config.at_username, config.at_api_key)
        self._from = config.at_from or None
        if config.at_api_base:  # tests and checks point this at a local fake server
            self._sms._baseUrl = config.at_api_base.rstrip("/") + "/version1"

    def send(self, message: OutboundSms) -> SendResult:
        try:
            response = self._sms.send(message.body, [message.to], sender_id=self._from,
                                      timeout=SEND_TIMEOUT_SECONDS)
        except ValueError as exc:       # the SDK refuses anything but E.164 recipients
            raise ProviderError("recipient is not an E.164 number", retryable=False, code="number") from exc
        except (requests.ConnectionError, requests.Timeout) as exc:
            # A read timeout may mean AT did send it; an alert twice beats an alert lost.
            raise ProviderError(f"connection error: {type(exc).__name__}", retryable=True) from exc
        recipient = _first_recipient(response)
        return SendResult(provider_message_id=recipient["messageId"], status="sent",
                          segments=segment_count(message.body))


# Recipient status codes that refuse the account, not the number (protocols.md §2.4):
# 401 RiskHold, 402 InvalidSenderId, 405 InsufficientBalance.
ACCOUNT_STATUS_CODES = (401, 402, 405)


def _first_recipient(response: requests.Response) -> dict:
    """The one recipient's entry, or ProviderError saying whether a retry may help."""
    if response.status_code == 429 or response.status_code >= 500:
        raise ProviderError(f"africastalking HTTP {response.status_code}", retryable=True,
                            code=str(response.status_code))
    if not 200 <= response.status_code < 300:
        raise ProviderError(f"africastalking HTTP {response.status_code}", retryable=False,
                            code=str(response.status_code), account=response.status_code in (401, 403))
    try:  # parsed whatever the Content-Type says (charset suffixes included)
        recipient = json.loads(response.text)["SMSMessageData"]["Recipients"][0]
        code = int(recipient["statusCode"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProviderError("africastalking: no recipient in the answer", retryable=False) from None
    if code not in SENT_CODES or not recipient.get("messageId"):
        raise ProviderError(f"africastalking statusCode {code} ({str(recipient.get('status'))[:40]})",
                            retryable=code >= 500, code=str(code), account=code in ACCOUNT_STATUS_CODES)
    return recipient


def make_sender(config: Config) -> AfricasTalkingSender:
    return AfricasTalkingSender(config)
