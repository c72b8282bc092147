"""Sending through the real twilio client to a local fake Twilio: retries, failures, status."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.store.models import Message
from tests.fakes.provider_server import twilio_error
from tests.helpers import REPORTER, send_sms, signed_post

KENIEBA_MINING = "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba"


@pytest.fixture
def config_env(config_env, fake_twilio):
    return dict(config_env, SMS_PROVIDER="twilio", TWILIO_API_BASE=fake_twilio.base_url)


def alert_message(runtime) -> Message:
    with runtime.transaction() as session:
        return session.scalar(select(Message).where(Message.kind == "alert"))


def test_the_alert_reaches_the_coordinator_through_the_twilio_client(client, runtime, forums, run_jobs, fake_twilio):
    send_sms(client, KENIEBA_MINING)
    run_jobs()
    assert len(fake_twilio.requests) == 1
    sent = fake_twilio.requests[0]
    assert sent.path.endswith("/Messages.json") and "/Accounts/AC" in sent.path
    assert sent.form["To"] == "+22376000001"
    assert sent.form["From"] == "+15005550006"
    assert sent.form["StatusCallback"] == "https://gateway.example.ml/webhooks/twilio/status"
    assert REPORTER not in sent.body and "76123456" not in sent.body
    message = alert_message(runtime)
    assert message.status == "queued" and message.provider_message_id.startswith("SM")   # Twilio said queued


@pytest.mark.parametrize("status, code", [(429, 20429), (500, 20500), (503, 20503)])
def test_retryable_errors_are_retried_until_sent(client, runtime, forums, run_jobs, fake_twilio, status, code):
    fake_twilio.script = [twilio_error(status, code)]
    send_sms(client, KENIEBA_MINING)
    run_jobs()
    assert len(fake_twilio.requests) == 2
    message = alert_message(runtime)
    assert message.attempts == 2 and message.provider_message_id


def test_a_permanent_failure_is_recorded_with_its_reason_and_not_retried(client, runtime, forums, run_jobs, fake_twilio):
    fake_twilio.script = [twilio_error(400, 21614)]
    send_sms(client, KENIEBA_MINING)
    run_jobs()
    assert len(fake_twilio.requests) == 1
    message = alert_message(runtime)
    assert message.status == "failed"
    assert message.error_code == "21614" and "400" in message.failure_reason


def test_a_refused_account_is_retried_later_not_given_up(client, runtime, forums, run_jobs, fake_twilio):
    """401 (credentials revoked, 20003): every message would fail until staff fix it; an alert
    must not be lost meanwhile, so it waits in the retry schedule like a 5xx."""
    fake_twilio.script = [twilio_error(401, 20003)]
    send_sms(client, KENIEBA_MINING)
    run_jobs()
    assert len(fake_twilio.requests) == 2
    message = alert_message(runtime)
    assert message.attempts == 2 and message.provider_message_id


def test_retries_stop_after_the_configured_attempts(client, runtime, forums, run_jobs, fake_twilio):
    fake_twilio.script = [twilio_error(500, 20500)] * 10
    send_sms(client, KENIEBA_MINING)
    run_jobs()
    attempts = len(runtime.config.send_backoff_seconds) + 1
    assert len(fake_twilio.requests) == attempts
    message = alert_message(runtime)
    assert message.status == "failed" and message.attempts == attempts


def test_connection_refused_is_retryable(client, runtime, forums, run_jobs, fake_twilio):
    from gateway.errors import ProviderError
    from gateway.providers.twilio import TwilioSender
    from gateway.domain import OutboundSms
    sender = TwilioSender(runtime.config.with_overrides(twilio_api_base="http://127.0.0.1:1"))
    with pytest.raises(ProviderError) as error:
        sender.send(OutboundSms(to="+22376000001", body="test"))
    assert error.value.retryable


def status_callback(client, sid: str, status: str, **extra):
    form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32, **extra}
    return signed_post(client, "/webhooks/twilio/status", form)


def test_status_callbacks_never_move_a_final_status_back(client, runtime, forums, run_jobs, fake_twilio):
    send_sms(client, KENIEBA_MINING)
    run_jobs()
    sid = alert_message(runtime).provider_message_id
    for status in ("sent", "delivered", "sent", "queued"):        # out of order, as Twilio may
        assert status_callback(client, sid, status).status_code == 200
    assert alert_message(runtime).status == "delivered"


def test_an_undelivered_callback_records_the_error_code(client, runtime, forums, run_jobs, fake_twilio):
    send_sms(client, KENIEBA_MINING)
    run_jobs()
    sid = alert_message(runtime).provider_message_id
    status_callback(client, sid, "undelivered", ErrorCode="30003")
    message = alert_message(runtime)
    assert (message.status, message.error_code) == ("undelivered", "30003")


STATUS_CASES = [
    ("unknown message id is acknowledged", dict(sid="SM" + "9" * 32, status="delivered"), 200),
    ("unknown status value", dict(sid="SM" + "9" * 32, status="exploded"), 400),
    ("no message id", dict(sid="", status="delivered"), 400),
]


@pytest.mark.parametrize("label, fields, expected", STATUS_CASES, ids=[c[0] for c in STATUS_CASES])
def test_status_callback_inputs(client, label, fields, expected):
    assert status_callback(client, fields["sid"], fields["status"]).status_code == expected


def test_unsigned_status_callbacks_are_refused(client):
    response = client.post("/webhooks/twilio/status", data={"MessageSid": "SM1", "MessageStatus": "failed"})
    assert response.status_code == 403
