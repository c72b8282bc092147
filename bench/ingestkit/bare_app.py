"""The baseline: a bare Flask endpoint that only parses the form and returns TwiML.

It does what any webhook must do at the least (read the form, render a reply) and none of
what makes the gateway's reply worth having (signature, durability, queueing). The
gateway's throughput is reported as a fraction of this one's, served with the same
gunicorn settings on the same machine in the same run.
"""
from flask import Flask, Response, request
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)


@app.post("/webhooks/twilio/sms")
def twilio_sms():
    form = request.form
    if not form.get("MessageSid") or form.get("Body") is None:
        return Response("malformed request\n", status=400, mimetype="text/plain")
    return receipt()


def receipt() -> Response:
    """TwiML with a receipt of the gateway's length (the naive baseline answers the same)."""
    reply = MessagingResponse()
    reply.message("Merci, message recu. Ref BENCH0. Pour le suivi, envoyez SUIVI BENCH0.")
    return Response(str(reply), mimetype="text/xml")


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
