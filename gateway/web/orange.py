"""Orange SMS API callbacks: delivery receipts ("Real time SMS DR") and inbound SMS ("SMS response").

Orange does not sign its callbacks, so the URLs given to Orange carry
?token=<ORANGE_WEBHOOK_TOKEN> (a proxy may send it as the X-Gateway-Token header instead),
compared in constant time; anything else gets 403 (429 for an address that keeps failing).
Both callbacks are JSON; an unreadable body is a 400, never a 500.
"""
from __future__ import annotations

from flask import Blueprint, Response, request

from gateway.durable import receive_delivery_status_durably, receive_sms_durably
from gateway.errors import MalformedPayload
from gateway.providers import orange
from gateway.web import runtime
from gateway.web.guard import authenticate, plain

blueprint = Blueprint("orange", __name__)


@blueprint.before_request
def _verify_token():
    given = request.args.get(orange.TOKEN_PARAM) or request.headers.get(orange.TOKEN_HEADER)
    return authenticate(orange.NAME, lambda: orange.verify_token(given, runtime().config.orange_webhook_token))


def _json():
    payload = request.get_json(silent=True)
    if payload is None:
        raise MalformedPayload("the body is not JSON")
    return payload


def _acknowledge() -> Response:
    body, mimetype = orange.render_reply()
    return Response(body, mimetype=mimetype)


@blueprint.post("/delivery")
def delivery():
    """Delivery receipt of a message we sent through Orange; statuses never move back.

    Example (application/json, to /webhooks/orange/delivery?token=…):
    {"deliveryInfoNotification": {"callbackData": "9d6a1c2e5b",
     "deliveryInfo": {"address": "tel:+22376000001", "deliveryStatus": "DeliveredToTerminal"}}}
    """
    try:
        status = orange.parse_delivery(_json())
    except MalformedPayload as exc:
        return plain(f"malformed request: {exc}", 400)
    receive_delivery_status_durably(runtime(), status)
    return _acknowledge()


@blueprint.post("/sms")
def sms():
    """An SMS to our Orange number, relayed by Orange's "SMS response" URL.

    Example: {"inboundSMSMessageNotification": {"inboundSMSMessage": {"senderAddress": "tel:+22376123456",
     "destinationAddress": "tel:+22370000000", "message": "Des hommes armes a Boni",
     "messageId": "b3f1c0de", "dateTime": "2026-11-02T09:00:00Z"}}}
    Reply: an empty 200 once the message is durable; the receipt goes out through the API.
    """
    try:
        receive_sms_durably(runtime(), orange.parse_inbound(_json()), reply_inline=False)
    except MalformedPayload as exc:
        return plain(f"malformed request: {exc}", 400)
    return _acknowledge()
