"""A phone on screen, for training and demonstrations: the SMS goes through the real webhook.

The form is posted, signed as Twilio signs it, to /webhooks/twilio/sms inside this process,
so a simulated report takes exactly the path of a real one (and is really routed: in
production, coordinators are alerted).
"""
from __future__ import annotations

import urllib.parse

from flask import current_app, render_template, request

from gateway.providers import twilio
from gateway.simulate import reply_text, twilio_sms_form
from gateway.store.ingest import find_inbound
from gateway.store.reports import get_report
from gateway.web import params, runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint, requires

WEBHOOK = "/webhooks/twilio/sms"


@blueprint.route("/simulator", methods=["GET", "POST"])
@requires("can_edit")
def simulator():
    live = runtime().config.sms_provider != "console"
    if request.method == "GET":
        return render_template("console/simulator.html", result=None, sender="", text="", live=live)
    sender, text = params.text(request.form, "sender"), (request.form.get("text") or "")[:1600]
    form = twilio_sms_form(sender, runtime().config.twilio_from or "+15005550006", text,
                           runtime().config.twilio_account_sid)
    status, reply = post_through_webhook(form)
    with runtime().transaction() as db:
        message = find_inbound(db, twilio.NAME, form["MessageSid"])
        reference = get_report(db, message.report_id).reference if message and message.report_id else None
        audit(db, "simulator.sms", target=reference, status=status)
    return render_template("console/simulator.html", result={"status": status, "reply": reply},
                           sender=sender, text=text, live=live)


def post_through_webhook(form: dict) -> tuple[int, str]:
    config = runtime().config
    signature = twilio.sign(config.public_base_url + WEBHOOK, form, config.twilio_auth_token)
    response = current_app.test_client().post(WEBHOOK, data=urllib.parse.urlencode(form),
                                              content_type="application/x-www-form-urlencoded",
                                              headers={twilio.SIGNATURE_HEADER: signature})
    body = response.get_data(as_text=True)
    return response.status_code, reply_text(body) if response.status_code == 200 else body.strip()

