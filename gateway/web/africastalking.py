"""Africa's Talking webhooks: USSD hops, inbound SMS, delivery reports.

AT does not sign callbacks: each callback URL carries ?token=<AT_WEBHOOK_TOKEN> (DESIGN §3).
A wrong or missing token gets 403. Past the token, a USSD hop always gets HTTP 200 with
`CON …`/`END …`: any 4xx would end the reporter's session without a word (protocols.md §2.2).
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from gateway.durable import receive_delivery_status_durably, receive_sms_durably
from gateway.errors import BadSignature, MalformedPayload
from gateway.providers import africastalking as at
from gateway.ussd import UssdReply, answer_hop, malformed_reply, record_session_end, unavailable_reply
from gateway.web import runtime
from gateway.web.guard import authenticate, plain
from menus import MenuError, load_menu

blueprint = Blueprint("africastalking", __name__)
log = logging.getLogger(__name__)


@blueprint.record_once
def _load_menus(_state) -> None:
    """Read and check the menus when the app is built, not during a reporter's first hop."""
    try:
        load_menu()
    except MenuError as exc:   # SMS must keep working; each USSD hop will answer an apology
        log.error("USSD menus have problems; run `gateway menus check`", extra={"problems": str(exc).count("\n") + 1})


@blueprint.before_request
def _verify_token():
    """The right token passes at once, without guard's Redis round trip (every USSD hop would
    pay for it, and a real AT request is never refused for someone else's failures); a wrong
    one goes through guard.authenticate, which counts it and answers 403, or 429 when over."""
    token, expected = request.args.get(at.TOKEN_PARAM), runtime().config.at_webhook_token
    try:
        at.verify_token(token, expected)
    except BadSignature:
        return authenticate(at.NAME, lambda: at.verify_token(token, expected))
    return None


@blueprint.post("/ussd")
def ussd():
    """One USSD hop, answered inside the request.

    Example (form-encoded, to /webhooks/africastalking/ussd?token=…): sessionId=ATUid_5c1e…
    &serviceCode=*384*123%23&phoneNumber=%2B22376123456&networkCode=61002&text=1*3*Kenieba*centre
    Reply (text/plain, always 200): "CON Quand?\\n1. En ce moment\\n…" or "END Merci… Votre code: 64DXNW."
    """
    rt = runtime()
    try:
        reply = answer_hop(rt, at.parse_ussd(request.form))
    except MalformedPayload as exc:
        log.warning("malformed ussd hop", extra={"provider": at.NAME, "reason": str(exc)})
        reply = malformed_reply(rt)
    except HTTPException:     # e.g. 413 for a body no aggregator sends
        raise
    except Exception as exc:  # noqa: BLE001  a reporter must get an END, never an HTTP 500
        log.error("ussd hop crashed", extra={"provider": at.NAME, "error": type(exc).__name__})
        reply = unavailable_reply(rt, None)
    return _ussd_response(reply)


def _ussd_response(reply: UssdReply) -> Response:
    body, mimetype = at.render_ussd(reply.text, reply.end)
    return Response(body, mimetype=mimetype)


@blueprint.post("/ussd/events")
def ussd_session_end():
    """End-of-session notification (its own callback URL in AT's dashboard).

    Example (form-encoded, to /webhooks/africastalking/ussd/events?token=…): sessionId=ATUid_5c1e…
    &phoneNumber=%2B22376123456&status=Incomplete&hopsCount=4&durationInMillis=41000&errorMessage=
    Reply: an empty 200; 400 for a notification that cannot be read.
    """
    try:
        record_session_end(runtime(), at.parse_session_end(request.form))
    except MalformedPayload as exc:
        return plain(f"malformed request: {exc}", 400)
    body, mimetype = at.render_reply()
    return Response(body, mimetype=mimetype)


@blueprint.post("/sms")
def sms():
    """An SMS to our Africa's Talking short code or number.

    Example: from=%2B22376123456&to=36123&text=Des+hommes+armes+a+Boni&date=2026-11-02+09%3A00%3A00
    &id=ATXid_6c1d…&linkId=…
    Reply: an empty 200 once the message is durable (stored, or spooled while the database is
    down). The callback cannot carry a reply, so the receipt is queued and sent through the
    AT API by a worker.
    """
    try:
        receive_sms_durably(runtime(), at.parse_inbound(request.form), reply_inline=False)
    except MalformedPayload as exc:
        return plain(f"malformed request: {exc}", 400)
    body, mimetype = at.render_reply()
    return Response(body, mimetype=mimetype)


@blueprint.post("/delivery")
def delivery():
    """Delivery report of a message we sent; statuses never move back.

    Example: id=ATXid_6c1d…&status=Failed&phoneNumber=%2B22376000001&networkCode=61002
    &failureReason=UserInBlackList&retryCount=0
    """
    try:
        status = at.parse_delivery(request.form)
    except MalformedPayload as exc:
        return plain(f"malformed request: {exc}", 400)
    receive_delivery_status_durably(runtime(), status)
    body, mimetype = at.render_reply()
    return Response(body, mimetype=mimetype)
