"""Simulated phones: requests built and signed exactly as the providers build them."""
from __future__ import annotations

import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from html import unescape
from typing import Callable

from gateway.config import Config
from gateway.providers import twilio

_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


def twilio_sms_form(sender: str, recipient: str, text: str, account_sid: str = "") -> dict[str, str]:
    return {"MessageSid": "SM" + secrets.token_hex(16), "SmsSid": "", "AccountSid": account_sid or "AC" + "0" * 32,
            "From": sender, "To": recipient, "Body": text, "NumMedia": "0", "NumSegments": "1",
            "ApiVersion": "2010-04-01", "SmsStatus": "received"}


def post_twilio_sms(config: Config, base_url: str, sender: str, recipient: str, text: str) -> tuple[int, str]:
    """POST a signed inbound SMS; return (HTTP status, the reply text or error body)."""
    form = twilio_sms_form(sender, recipient, text, config.twilio_account_sid)
    form["SmsSid"] = form["MessageSid"]
    path = "/webhooks/twilio/sms"
    signature = twilio.sign(base_url.rstrip("/") + path, form, config.twilio_auth_token)
    status, body = post_form(base_url.rstrip("/") + path, form, {twilio.SIGNATURE_HEADER: signature})
    if status != 200:
        return status, body.strip()
    return status, " / ".join(unescape(m) for m in _MESSAGE.findall(body)) or "(no reply)"


def post_form(url: str, form: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, str]:
    """POST a form; (HTTP status, body) whatever the status."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                     headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def at_ussd_poster(base_url: str, token: str) -> Callable[[dict[str, str]], tuple[int, str]]:
    """POST a USSD hop to the gateway as Africa's Talking does, token in the callback URL."""
    url = f"{base_url.rstrip('/')}/webhooks/africastalking/ussd?" + urllib.parse.urlencode({"token": token})
    return lambda form: post_form(url, form)


class UssdDialogue:
    """A phone's USSD sessions, sent as Africa's Talking sends them (protocols.md §2.2):
    one sessionId per dial, and `text` = "" on the first hop, then every input so far joined by "*".

        phone = UssdDialogue(post, "+22376123456")
        phone.dial()          # text ""
        phone.answer("1")     # text "1"
        phone.answer("a*b")   # text "1*a*b"
    """

    def __init__(self, post: Callable[[dict[str, str]], tuple[int, str]], phone_number: str,
                 service_code: str = "*384*123#", network_code: str = "61002"):
        self._post = post
        self.phone_number, self.service_code, self.network_code = phone_number, service_code, network_code
        self.session_id = ""
        self.inputs: list[str] = []

    @property
    def text(self) -> str:
        return "*".join(self.inputs)

    def form(self) -> dict[str, str]:
        return {"sessionId": self.session_id, "serviceCode": self.service_code,
                "phoneNumber": self.phone_number, "networkCode": self.network_code, "text": self.text}

    def dial(self) -> tuple[int, str]:
        """A new session (a new dial of the service code)."""
        self.session_id, self.inputs = "ATUid_" + secrets.token_hex(16), []
        return self.repeat()

    def answer(self, value: str) -> tuple[int, str]:
        self.inputs.append(value)
        return self.repeat()

    def repeat(self) -> tuple[int, str]:
        """Post the current hop (again, when the provider retries it)."""
        return self._post(self.form())
