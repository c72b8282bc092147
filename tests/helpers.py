"""Helpers for building provider requests in tests."""
from __future__ import annotations

import itertools
import urllib.parse

from twilio.request_validator import RequestValidator

from tests.conftest import TEST_KEYS

_sids = itertools.count(1)
REPORTER = "+22376123456"


def new_sid() -> str:
    return f"SM{next(_sids):032d}"


def twilio_form(body: str, sender: str = REPORTER, **extra) -> dict[str, str]:
    form = {"MessageSid": new_sid(), "AccountSid": TEST_KEYS["TWILIO_ACCOUNT_SID"], "From": sender,
            "To": "+15005550006", "Body": body, "NumMedia": "0", "NumSegments": "1"}
    form.update(extra)
    return form


def signed_post(client, path: str, form: dict, *, query: str = "", token: str | None = None,
                signature: str | None = None):
    """POST `form` signed by twilio's own RequestValidator, as Twilio would."""
    url = TEST_KEYS["PUBLIC_BASE_URL"] + path + (f"?{query}" if query else "")
    if signature is None:
        signature = RequestValidator(token or TEST_KEYS["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)
    target = path + (f"?{query}" if query else "")
    return client.post(target, data=urllib.parse.urlencode(form),
                       content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature})


def send_sms(client, body: str, sender: str = REPORTER, **extra):
    form = twilio_form(body, sender, **extra)
    return form, signed_post(client, "/webhooks/twilio/sms", form)
