"""Simulated phones: requests built and signed exactly as the providers build them."""
from __future__ import annotations

import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from html import unescape

from gateway.config import Config
from gateway.providers import twilio

_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


def twilio_sms_form(sender: str, recipient: str, text: str, account_sid: str = "") -> dict[str, str]:
    return {"MessageSid": "SM" + secrets.token_hex(16), "SmsSid": "", "AccountSid": account_sid or "AC" + "0" * 32,
            "From": sender, "To": recipient, "Body": text, "NumMedia": "0", "NumSegments": "1",
            "ApiVersion": "2010-04-01", "SmsStatus": "received"}


def reply_text(twiml: str) -> str:
    """The SMS text(s) a TwiML reply would send, or '(no reply)'."""
    return " / ".join(unescape(m) for m in _MESSAGE.findall(twiml)) or "(no reply)"


def post_twilio_sms(config: Config, base_url: str, sender: str, recipient: str, text: str) -> tuple[int, str]:
    """POST a signed inbound SMS; return (HTTP status, the reply text or error body)."""
    form = twilio_sms_form(sender, recipient, text, config.twilio_account_sid)
    form["SmsSid"] = form["MessageSid"]
    path = "/webhooks/twilio/sms"
    signature = twilio.sign(base_url.rstrip("/") + path, form, config.twilio_auth_token)
    request = urllib.request.Request(base_url.rstrip("/") + path, data=urllib.parse.urlencode(form).encode(),
                                     headers={twilio.SIGNATURE_HEADER: signature}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, reply_text(response.read().decode())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace").strip()
