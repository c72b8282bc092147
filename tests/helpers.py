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


AT_TOKEN = TEST_KEYS["AT_WEBHOOK_TOKEN"]


def at_post(client, endpoint: str, form: dict, token: str | None = AT_TOKEN):
    """POST to /webhooks/africastalking/<endpoint> with the token in the URL, as AT calls it."""
    query = "" if token is None else "?" + urllib.parse.urlencode({"token": token})
    return client.post(f"/webhooks/africastalking/{endpoint}{query}", data=form)


def ussd_phone(client, number: str = REPORTER):
    """A phone dialling the USSD code through the Flask test client (same hops as the CLI's)."""
    from gateway.simulate import UssdDialogue

    def post(form):
        response = at_post(client, "ussd", form)
        assert response.mimetype == "text/plain", response.mimetype
        return response.status_code, response.get_data(as_text=True)
    return UssdDialogue(post, number)


def known_reporter(runtime, number: str, language: str) -> None:
    """A reporter who wrote or reported before, in `language`."""
    from gateway.store.reporters import get_or_create_reporter

    with runtime.transaction() as session:
        get_or_create_reporter(session, pseudonym=runtime.pseudonymiser.pseudonym(number),
                               number_encrypted=runtime.pseudonymiser.encrypt(number),
                               language=language, now=runtime.now())


def at_config(config_env: dict, fake_at) -> dict:
    """The environment of a gateway sending through Africa's Talking, i.e. through `fake_at`."""
    return dict(config_env, SMS_PROVIDER="africastalking", AT_API_BASE=fake_at.base_url,
                AT_USERNAME="gateway-test", AT_API_KEY="test-at-key", AT_FROM="36123")


def sent_message(runtime, provider: str, provider_message_id: str) -> int:
    """An alert the provider took (status 'sent', with its id): what delivery receipts update."""
    from gateway.store.outbound import Handed, queue_outbound, record_sent

    with runtime.transaction() as session:
        message = queue_outbound(session, provider=provider, kind="alert", body="ALERTE", now=runtime.now())
        record_sent(session, [Handed(message.id, provider_message_id, "sent", 1)], runtime.now())
    return message.id


def status_of(runtime, message_id: int) -> tuple[str, str | None]:
    """A message's status and error code, as a delivery receipt left them."""
    from gateway.store.models import Message

    with runtime.transaction() as session:
        message = session.get(Message, message_id)
        return message.status, message.error_code


def assert_refusal(error, retryable, code) -> None:
    """A provider's ProviderError as a send-failure table expects it. `retryable`: True, False,
    or "account" (the account is refused, not this message: retried later, failed over at once)."""
    assert (error.retryable, error.code, error.account) == (retryable is not False, code, retryable == "account")
