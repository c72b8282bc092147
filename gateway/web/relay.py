"""Relay phone webhooks (SMS Gateway for Android): inbound SMS, delivery events, pings.

Every request is checked against the app's HMAC signature (X-Signature over the raw body and
X-Timestamp, gateway/providers/relay.py) and a timestamp within 5 minutes: 403 otherwise.
The event name is inside the signed body, so /sms, /status and /ping share one handler;
separate URLs only make the app's webhook list and our access logs readable.

Answers: 2xx once the event is durable or deliberately ignored, 400 for a body that can never
be read. The app retries anything else for about two days (webhooks.md "Retry Policy"), so
events we have no use for (MMS, data SMS, future ones) and SMS from senders that are not
phone numbers (the operator's own notices) are acknowledged and dropped, not refused.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from redis.exceptions import RedisError

from gateway import metrics
from gateway.durable import receive_delivery_status_durably, receive_sms_durably
from gateway.errors import InvalidNumber, MalformedPayload
from gateway.providers import relay
from gateway.relay_watch import record_check_in
from gateway.web import runtime
from gateway.web.guard import authenticate, plain

blueprint = Blueprint("relay", __name__)
log = logging.getLogger(__name__)
STORED_KEY = "gateway:relay-stored:"
STORED_TTL_SECONDS = 3 * 24 * 3600    # longer than the app's 14 doubling retries (~2 days)
IN_FLIGHT_SECONDS = 60                # longer than a webhook can take (database connect + spool)
STORED, IN_FLIGHT = "stored", "in-flight"


@blueprint.before_request
def _verify_signature():
    rt = runtime()
    body = request.get_data(cache=True)
    return authenticate(relay.NAME, lambda: relay.verify(
        body, request.headers.get(relay.TIMESTAMP_HEADER), request.headers.get(relay.SIGNATURE_HEADER),
        rt.config.relay_signing_key, rt.now()))


@blueprint.post("/sms")
@blueprint.post("/status")
@blueprint.post("/ping")
def event():
    """One event from the relay phone.

    Example (JSON, headers X-Signature: 3f1c…, X-Timestamp: 1793610000):
    {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": "sms:received", "id": "Ey6ECgOkVVFjz3CL48B8C",
     "webhookId": "wh1", "payload": {"messageId": "1a2b3c4d", "message": "Des hommes armes a Boni",
     "phoneNumber": "+22376123456", "simNumber": 1, "receivedAt": "2026-11-02T09:00:00.000+00:00"}}
    Reply: an empty 200 once durable; the receipt is queued and sent through the app's API.
    """
    try:
        received = relay.parse_event(request.get_data(cache=True))
        if received.event == relay.RECEIVED:
            busy = _receive_sms(received)
            if busy:
                return busy
        elif received.event in relay.STATUS_EVENTS:
            _receive_status(received)
        elif received.event != relay.PING:
            log.info("relay event ignored", extra={"event": received.event[:40]})
    except InvalidNumber:
        metrics.record(runtime().redis, "webhook_requests", provider=relay.NAME, outcome="not_a_phone_number")
    except MalformedPayload as exc:
        return plain(f"malformed request: {exc}", 400)
    record_check_in(runtime(), received.device_id)
    body, mimetype = relay.render_reply()
    return Response(body, mimetype=mimetype)


def _receive_sms(received: relay.RelayEvent) -> Response | None:
    """Durable once, however often and however concurrently the phone resends it.

    The unique (provider, provider message id) row is what makes a repeat create nothing.
    A Redis mark per message spares the database and the sender's rate-limit counter: a
    resend storm must not make the reporter look like a flood and hold the report (and its
    receipt) for staff. The mark says "in flight" while the first delivery is being stored,
    then "stored": a repeat meanwhile gets 503 and comes back later (the app retries), since
    acknowledging it before the first is durable could lose the message. Redis down: every
    repeat takes the database path, which is just as safe.
    """
    rt, inbound = runtime(), relay.parse_inbound(received)
    mark = STORED_KEY + inbound.provider_message_id
    state = _claim(rt, mark)
    if state == STORED:
        metrics.record(rt.redis, "webhook_messages", provider=relay.NAME, channel="sms", outcome="duplicate")
        return None
    if state == IN_FLIGHT:
        return plain("the same message is being stored; retry", 503, {"Retry-After": "10"})
    try:
        receive_sms_durably(rt, inbound, reply_inline=False)
    except BaseException:
        _set(rt, mark, None)
        raise
    _set(rt, mark, STORED, STORED_TTL_SECONDS)
    return None


def _claim(rt, key: str) -> str | None:
    """None when this request is the one to store the message; else what the mark says."""
    try:
        if rt.redis.set(key, IN_FLIGHT, nx=True, ex=IN_FLIGHT_SECONDS):
            return None
        state = rt.redis.get(key)
    except RedisError:
        return None
    return state.decode() if state is not None else None


def _set(rt, key: str, value: str | None, ttl: int = 0) -> None:
    try:
        if value is None:
            rt.redis.delete(key)
        else:
            rt.redis.set(key, value, ex=ttl)
    except RedisError:
        pass


def _receive_status(received: relay.RelayEvent) -> None:
    status = relay.parse_delivery(received)
    receive_delivery_status_durably(runtime(), status)
