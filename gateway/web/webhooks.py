"""Provider webhooks: verify, parse, make durable, reply in the provider's format."""
from __future__ import annotations

from flask import Blueprint, Response, request

from gateway.durable import receive_delivery_status_durably, receive_sms_durably
from gateway.errors import MalformedPayload
from gateway.providers import twilio
from gateway.web import runtime
from gateway.web.guard import authenticate

blueprint = Blueprint("webhooks", __name__)


def public_url() -> str:
    """The URL the provider signed: PUBLIC_BASE_URL + path + the raw query string.

    Not request.url: Werkzeug percent-decodes its query (protocols.md §1.3).
    """
    query = request.query_string.decode("latin-1")
    return runtime().config.public_base_url + request.path + (f"?{query}" if query else "")


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _verify_twilio() -> Response | None:
    return authenticate("twilio", lambda: twilio.verify(
        public_url(), request.form, request.headers.get(twilio.SIGNATURE_HEADER),
        runtime().config.twilio_auth_token))


@blueprint.post("/twilio/sms")
def twilio_sms():
    """An SMS to our Twilio number.

    Example (form-encoded): MessageSid=SM5f2c…&AccountSid=AC…&From=%2B22376123456
    &To=%2B15005550006&Body=Des+hommes+armes+a+Boni&NumSegments=1
    Reply: TwiML with a neutral receipt carrying the reference code.
    """
    refused = _verify_twilio()
    if refused:
        return refused
    try:
        receipt = receive_sms_durably(runtime(), twilio.parse_inbound(request.form))
    except MalformedPayload as exc:
        return _plain(f"malformed request: {exc}", 400)
    body, mimetype = twilio.render_reply(receipt.reply)
    return Response(body, mimetype=mimetype)


@blueprint.post("/twilio/status")
def twilio_status():
    """Delivery status of a message we sent.

    Example: MessageSid=SM…&MessageStatus=delivered  (or =undelivered&ErrorCode=30003)
    Callbacks arrive out of order; a final status never moves back.
    """
    refused = _verify_twilio()
    if refused:
        return refused
    try:
        status = twilio.parse_status(request.form)
    except MalformedPayload as exc:
        return _plain(f"malformed request: {exc}", 400)
    receive_delivery_status_durably(runtime(), status)
    body, mimetype = twilio.render_reply(None)
    return Response(body, mimetype=mimetype)
