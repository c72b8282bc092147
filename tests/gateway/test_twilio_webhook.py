"""The Twilio SMS webhook: signatures, parsing, receipts, duplicates."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gateway.gsm7 import is_gsm7, segment_count
from gateway.refcodes import ALPHABET
from gateway.store.models import Message, Report
from tests.helpers import REPORTER, send_sms, signed_post, twilio_form

RECEIPT = re.compile(r"<Message>(.*)</Message>")


def receipt_of(response) -> str:
    match = RECEIPT.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1)


def count(runtime, model) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_signed_request_is_stored_and_gets_a_neutral_receipt(client, runtime):
    form, response = send_sms(client, "Des hommes armes ont attaque le marche de Boni")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    receipt = receipt_of(response)
    reference = re.search(r"Ref ([A-Z0-9]+)", receipt).group(1)
    assert set(reference) <= set(ALPHABET) and len(reference) == 6
    assert is_gsm7(receipt) and segment_count(receipt) == 1
    assert "armes" not in receipt and "Boni" not in receipt       # never echoes the report
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
        assert (report.reference, report.status, report.channel) == (reference, "received", "sms")
        inbound = session.scalar(select(Message).where(Message.direction == "in"))
        assert inbound.provider_message_id == form["MessageSid"]
        assert inbound.report_id == report.id


CASES = [
    # label, how the request is signed or altered, expected status
    ("missing signature", dict(signature=""), 403),
    ("signature with the wrong token", dict(token="not-the-token"), 403),
    ("signature of another body", dict(signature="0/KCTR6DLpKmkAf8muzZqo1nDgQ="), 403),
]


@pytest.mark.parametrize("label, how, expected", CASES, ids=[case[0] for case in CASES])
def test_requests_not_signed_by_twilio_are_refused(client, runtime, label, how, expected):
    response = signed_post(client, "/webhooks/twilio/sms", twilio_form("test"), **how)
    assert response.status_code == expected
    assert count(runtime, Report) == 0


def test_a_signature_over_a_percent_encoded_query_string_validates(client, runtime):
    response = signed_post(client, "/webhooks/twilio/sms", twilio_form("test"), query="tenant=%C3%A9&x=%27q")
    assert response.status_code == 200
    assert count(runtime, Report) == 1


def test_the_signature_covers_the_query_string(client, app):
    form = twilio_form("test")
    good = signed_post(app.test_client(), "/webhooks/twilio/sms", form, query="tenant=ml")
    assert good.status_code == 200
    from twilio.request_validator import RequestValidator
    from tests.conftest import TEST_KEYS
    signature = RequestValidator(TEST_KEYS["TWILIO_AUTH_TOKEN"]).compute_signature(
        TEST_KEYS["PUBLIC_BASE_URL"] + "/webhooks/twilio/sms?tenant=ml", twilio_form("other"))
    tampered = signed_post(client, "/webhooks/twilio/sms", twilio_form("other"), query="tenant=xx",
                           signature=signature)
    assert tampered.status_code == 403


MALFORMED = [
    ("no MessageSid", {"MessageSid": ""}),
    ("MessageSid with punctuation", {"MessageSid": "SM'; DROP TABLE reports;--"}),
    ("no From", {"From": ""}),
    ("From that is not a phone number", {"From": "not-a-number"}),
    ("From too short for Mali", {"From": "7612345"}),
    ("Body over 1600 characters", {"Body": "x" * 1601}),
]


@pytest.mark.parametrize("label, change", MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_but_signed_requests_get_a_clear_400(client, runtime, label, change):
    form = twilio_form("test")
    form.update(change)
    response = signed_post(client, "/webhooks/twilio/sms", form)
    assert response.status_code == 400
    assert "malformed" in response.get_data(as_text=True)
    assert count(runtime, Report) == 0


def test_missing_body_field_is_malformed(client, runtime):
    form = twilio_form("x")
    del form["Body"]
    assert signed_post(client, "/webhooks/twilio/sms", form).status_code == 400


def test_an_empty_body_is_still_a_report(client, runtime):
    """A reporter may send an empty SMS by mistake; it costs nothing to keep it."""
    _, response = send_sms(client, "")
    assert response.status_code == 200
    assert count(runtime, Report) == 1


def test_a_duplicate_delivery_gets_the_same_reply_and_creates_nothing(client, runtime):
    form = twilio_form("Vol de betail a Nara")
    first = signed_post(client, "/webhooks/twilio/sms", form)
    second = signed_post(client, "/webhooks/twilio/sms", form)
    assert first.status_code == second.status_code == 200
    assert receipt_of(first) == receipt_of(second)
    assert count(runtime, Report) == 1
    assert count(runtime, Message) == 2          # one inbound, one receipt


def test_national_and_international_forms_are_one_reporter(client, runtime):
    from gateway.store.models import Reporter
    send_sms(client, "un", sender="+22376123456")
    send_sms(client, "deux", sender="0022376123456")
    assert count(runtime, Reporter) == 1
    with runtime.transaction() as session:
        reporter = session.scalar(select(Reporter))
        assert REPORTER not in reporter.number_encrypted          # encrypted at rest
        assert runtime.pseudonymiser.decrypt(reporter.number_encrypted) == REPORTER


def test_oversized_requests_are_refused_before_parsing(client):
    response = client.post("/webhooks/twilio/sms", data="Body=" + "x" * 100_000,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_get_is_not_allowed(client):
    assert client.get("/webhooks/twilio/sms").status_code == 405
