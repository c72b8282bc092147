"""Relay phone (SMS Gateway for Android): the standard provider cases, the resend storm,
delivery events, the sender against a fake of the app's API, and the silence alert."""
from __future__ import annotations

import base64
import json
import threading

import pytest
from sqlalchemy import func, select

from gateway.domain import OutboundSms
from gateway.errors import BadSignature, ProviderError
from gateway.metrics import render
from gateway.providers import relay
from gateway.relay_watch import provider_besides_relay
from gateway.store.models import Message, RelayDevice, Report
from gateway.sweeper import sweep
from tests.fakes.provider_server import FakeProviderServer, ScriptedResponse, relay_accepted
from tests.helpers import REPORTER, assert_refusal

KEY = "test-relay-signing-key"
DEVICE = "ffffffffceb0b1db0000018e937c815b"
SMS_PAYLOAD = {"messageId": "1a2b3c4d", "message": "Des hommes armes ont attaque le marche de Boni",
               "phoneNumber": REPORTER, "simNumber": 1, "receivedAt": "2026-11-02T09:00:00.000+00:00"}


def envelope(event: str = "sms:received", payload: dict | None = None, event_id: str = "Ey6ECgOkVVFjz3CL48B8C",
             **change) -> dict:
    document = {"deviceId": DEVICE, "event": event, "id": event_id, "webhookId": "wh-1",
                "payload": SMS_PAYLOAD if payload is None else payload}
    return {**document, **change}


def relay_post(client, clock, document, *, path: str = "sms", key: str = KEY, skew_seconds: int = 0,
               signature: str | None = None, raw: bytes | None = None):
    """POST as the app does: JSON body, X-Timestamp, X-Signature = HMAC(key, body + timestamp)."""
    body = raw if raw is not None else json.dumps(document).encode()
    timestamp = str(int(clock().timestamp()) + skew_seconds)
    headers = {relay.TIMESTAMP_HEADER: timestamp,
               relay.SIGNATURE_HEADER: signature if signature is not None else relay.sign(body, timestamp, key)}
    return client.post(f"/webhooks/relay/{path}", data=body, content_type="application/json", headers=headers)


@pytest.fixture
def fake_relay():
    with FakeProviderServer(relay_accepted) as server:
        yield server


@pytest.fixture
def config_env(config_env, fake_relay):
    return dict(config_env, SMS_PROVIDER="relay", RELAY_API_BASE=fake_relay.base_url, RELAY_USERNAME="sms",
                RELAY_PASSWORD="relay-password", RELAY_SIGNING_KEY=KEY)


def count(runtime, model, *where) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# --- the signature: every endpoint, the same rule ----------------------------------------------

def tamper(body: bytes) -> bytes:
    return body.replace(b"Boni", b"Bamako")


BAD_REQUESTS = [
    # label, relay_post keyword arguments
    ("no signature", dict(signature="")),
    ("signed with another key", dict(key="not-our-key")),
    ("signature not hex", dict(signature="z" * 64)),
    ("stale timestamp (6 minutes old)", dict(skew_seconds=-360)),
    ("timestamp from the future", dict(skew_seconds=360)),
]
PATHS = ["sms", "status", "ping"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("label, options", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_requests_not_signed_by_the_phone_now_get_403_and_change_nothing(client, runtime, clock, path, label,
                                                                       options):
    response = relay_post(client, clock, envelope(), path=path, **options)
    assert response.status_code == 403
    assert count(runtime, Message) == 0 and count(runtime, RelayDevice) == 0


def test_a_body_changed_after_signing_is_refused(client, runtime, clock):
    body = json.dumps(envelope()).encode()
    timestamp = str(int(clock().timestamp()))
    response = client.post("/webhooks/relay/sms", data=tamper(body), content_type="application/json",
                           headers={relay.TIMESTAMP_HEADER: timestamp,
                                    relay.SIGNATURE_HEADER: relay.sign(body, timestamp, KEY)})
    assert response.status_code == 403 and count(runtime, Message) == 0


@pytest.mark.parametrize("config_overrides", [{"relay_signing_key": ""}])
def test_without_a_configured_key_everything_is_refused(client, runtime, clock, config_overrides):
    assert relay_post(client, clock, envelope(), key="").status_code == 403


def test_a_phone_clock_a_few_minutes_off_is_accepted(client, runtime, clock):
    assert relay_post(client, clock, envelope(), skew_seconds=-240).status_code == 200
    assert count(runtime, Report) == 1


@pytest.mark.parametrize("timestamp, signature", [("", "a" * 64), ("12x", "a" * 64), ("1", ""), (None, None),
                                                  ("9" * 30, "a" * 64)])
def test_verify_refuses_missing_or_unreadable_headers(clock, timestamp, signature):
    with pytest.raises(BadSignature):
        relay.verify(b"{}", timestamp, signature, KEY, clock())


# --- inbound SMS -------------------------------------------------------------------------------

def test_an_inbound_sms_is_stored_and_its_receipt_goes_out_through_the_phone(client, runtime, clock, run_jobs,
                                                                             fake_relay):
    response = relay_post(client, clock, envelope())
    assert (response.status_code, response.get_data(as_text=True)) == (200, "")
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
        receipt = session.scalar(select(Message).where(Message.kind == "receipt"))
    assert (report.channel, report.text, receipt.provider, receipt.status) == ("sms", SMS_PAYLOAD["message"],
                                                                               "relay", "queued")
    run_jobs()
    [sent] = fake_relay.requests
    request = json.loads(sent.body)
    assert sent.method == "POST" and sent.path == "/message"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"sms:relay-password").decode()
    assert request["phoneNumbers"] == [REPORTER] and request["withDeliveryReport"] is True
    assert f"Ref {report.reference}" in request["textMessage"]["text"] and "Boni" not in request["textMessage"]["text"]
    with runtime.transaction() as session:
        receipt = session.get(Message, receipt.id)
    assert receipt.status == "sent" and receipt.provider_message_id.startswith("rl")


def test_a_local_number_without_the_country_code_is_read_as_malian(client, runtime, clock):
    relay_post(client, clock, envelope(payload={**SMS_PAYLOAD, "phoneNumber": "76123456"}))
    with runtime.transaction() as session:
        reporter_id = session.scalar(select(Report.reporter_id))
    assert reporter_id is not None and count(runtime, Report) == 1


DUPLICATES = [
    # label, the second delivery of the same SMS
    ("same event resent", envelope()),
    ("same SMS, a new event id", envelope(event_id="other-emission-id")),
    ("same SMS, receivedAt in another time zone", envelope(
        event_id="x2", payload={**SMS_PAYLOAD, "receivedAt": "2026-11-02T10:00:00.000+01:00"})),
]


@pytest.mark.parametrize("label, again", DUPLICATES, ids=[d[0] for d in DUPLICATES])
def test_a_resent_sms_creates_one_report_and_one_receipt(client, runtime, clock, run_jobs, fake_relay, label, again):
    assert relay_post(client, clock, envelope()).status_code == 200
    assert relay_post(client, clock, again).status_code == 200
    run_jobs()
    assert count(runtime, Report) == 1 and count(runtime, Message) == 2 and len(fake_relay.requests) == 1


def test_two_sms_sharing_the_apps_32_bit_message_id_are_two_reports(client, runtime, clock):
    """The app's messageId is a 32-bit hash: a collision must not drop a real report."""
    relay_post(client, clock, envelope())
    other = {**SMS_PAYLOAD, "phoneNumber": "+22366000111", "message": "Vol de betail a Nioro"}
    relay_post(client, clock, envelope(payload=other, event_id="e2"))
    assert count(runtime, Report) == 2


def test_a_storm_of_200_resends_some_at_once_makes_one_report_and_one_receipt(app, runtime, clock, run_jobs,
                                                                             fake_relay):
    """SMSSync-style storms (shared/reference/peers-reporting.md): 20 racing, then 180 more.

    A racer that finds the first still being stored gets 503 (the phone retries later), never
    a 200 for a message not yet durable. The rate limit (10 per number) must not count repeats.
    """
    start, codes = threading.Barrier(20), []

    def resend(number: int) -> None:
        start.wait()
        codes.append(relay_post(app.test_client(), clock, envelope(event_id=f"storm-{number}")).status_code)

    racers = [threading.Thread(target=resend, args=(number,)) for number in range(20)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    client = app.test_client()
    codes += [relay_post(client, clock, envelope(event_id=f"late-{n}")).status_code for n in range(180)]
    run_jobs()
    assert set(codes[:20]) <= {200, 503} and codes[:20].count(200) >= 1 and codes[20:] == [200] * 180
    assert count(runtime, Report) == 1 and count(runtime, Message, Message.direction == "in") == 1
    assert count(runtime, Message, Message.kind == "receipt") == 1 and len(fake_relay.requests) == 1
    assert count(runtime, Report, Report.status == "held") == 0


def test_a_resend_while_the_first_is_still_being_stored_is_asked_to_come_back(client, runtime, clock):
    from gateway.web.relay import IN_FLIGHT, STORED_KEY

    key = relay.parse_inbound(relay.parse_event(json.dumps(envelope()).encode())).provider_message_id
    runtime.redis.set(STORED_KEY + key, IN_FLIGHT)
    response = relay_post(client, clock, envelope())
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    runtime.redis.delete(STORED_KEY + key)           # the first delivery failed: the retry stores it
    assert relay_post(client, clock, envelope()).status_code == 200 and count(runtime, Report) == 1


MALFORMED = [
    # label, raw body or envelope
    ("not JSON", b"<html>"),
    ("JSON but not an object", b"[1, 2]"),
    ("no payload", {**envelope(), "payload": None}),
    ("no deviceId", envelope(deviceId=None)),
    ("no event", envelope(event=None)),
    ("no phoneNumber", envelope(payload={**SMS_PAYLOAD, "phoneNumber": None})),
    ("no message", envelope(payload={k: v for k, v in SMS_PAYLOAD.items() if k != "message"})),
    ("message over 1600 characters", envelope(payload={**SMS_PAYLOAD, "message": "x" * 1601})),
    ("messageId with quotes", envelope(payload={**SMS_PAYLOAD, "messageId": "1'; DROP TABLE reports;--"})),
    ("status event without messageId", envelope(event="sms:delivered", payload={"phoneNumber": REPORTER})),
]


@pytest.mark.parametrize("label, document", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_events_get_a_clear_400(client, runtime, clock, label, document):
    raw = document if isinstance(document, bytes) else None
    response = relay_post(client, clock, document, raw=raw)
    assert response.status_code == 400 and "malformed" in response.get_data(as_text=True)
    assert count(runtime, Message) == 0


IGNORED = [
    # label, envelope: answered 2xx (the app would retry a refusal for two days), nothing stored
    ("an event we do not use", envelope(event="mms:received", payload={"messageId": "m1"})),
    ("an SMS from the operator's name, not a number", envelope(payload={**SMS_PAYLOAD, "phoneNumber": "Orange"})),
]


@pytest.mark.parametrize("label, document", IGNORED, ids=[i[0] for i in IGNORED])
def test_what_we_cannot_use_is_acknowledged_and_dropped(client, runtime, clock, label, document):
    assert relay_post(client, clock, document).status_code == 200
    assert count(runtime, Message) == 0 and count(runtime, RelayDevice) == 1


# --- delivery events ---------------------------------------------------------------------------

def sent_alert(runtime, provider_message_id: str = "zXDYfTmTVf3iMd16zzdBj") -> int:
    from gateway.store.outbound import Handed, queue_outbound, record_sent

    with runtime.transaction() as session:
        message = queue_outbound(session, provider="relay", kind="alert", body="ALERTE", now=runtime.now())
        record_sent(session, [Handed(message.id, provider_message_id, "sent", 1)], runtime.now())
    return message.id


def status_event(event: str) -> dict:
    payload = {"messageId": "zXDYfTmTVf3iMd16zzdBj", "phoneNumber": "+22376000001", "simNumber": 1}
    if event == "sms:failed":
        payload["reason"] = "RESULT_ERROR_GENERIC_FAILURE"
    return envelope(event=event, payload=payload, event_id=f"ev-{event}")


DELIVERIES = [
    # label, events in the order they arrive, (our final status, failure reason)
    ("sent then delivered", ["sms:sent", "sms:delivered"], ("delivered", None)),
    ("a late 'sent' after 'delivered' does not move back", ["sms:delivered", "sms:sent"], ("delivered", None)),
    ("failed, with the phone's reason", ["sms:sent", "sms:failed"], ("failed", "RESULT_ERROR_GENERIC_FAILURE")),
]


@pytest.mark.parametrize("label, events, expected", DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_delivery_events_update_the_message_monotonically(client, runtime, clock, label, events, expected):
    message_id = sent_alert(runtime)
    for event in events:
        assert relay_post(client, clock, status_event(event), path="status").status_code == 200
    with runtime.transaction() as session:
        message = session.get(Message, message_id)
        assert (message.status, message.failure_reason) == expected


def test_a_delivery_event_for_an_unknown_message_is_acknowledged(client, runtime, clock):
    assert relay_post(client, clock, status_event("sms:delivered"), path="status").status_code == 200


# --- the sender, against a local fake of the app's API -----------------------------------------

def send_one(runtime):
    return relay.make_sender(runtime.config).send(OutboundSms(to="+22376000001", body="ALERTE 64DXNW test"))


def test_a_send_is_taken_by_the_phone(runtime, fake_relay):
    result = send_one(runtime)
    assert result.status == "sent" and result.provider_message_id.startswith("rl") and result.segments == 1
    assert json.loads(fake_relay.requests[0].body)["textMessage"] == {"text": "ALERTE 64DXNW test"}


SEND_FAILURES = [
    # label, scripted answer, retryable (True, False, or "account": the account is refused, not this
    # message — retried later and failed over at once), code
    ("HTTP 500", ScriptedResponse(500, {"message": "boom"}), True, "500"),
    ("HTTP 502 from a proxy in front of the phone", ScriptedResponse(502, {"message": "bad gateway"}), True, "502"),
    ("HTTP 429 cloud rate limit", ScriptedResponse(429, {"message": "slow down"}), True, "429"),
    ("HTTP 401 wrong credentials", ScriptedResponse(401, {"message": "unauthorized"}), "account", "401"),
    ("HTTP 400 invalid number", ScriptedResponse(400, {"message": "invalid phone"}), False, "400"),
    ("2xx that is not JSON", ScriptedResponse(202, "<html>captive portal</html>"), False, None),
    ("2xx without an id", ScriptedResponse(202, {"state": "Pending"}), False, None),
    ("recipient refused at once", ScriptedResponse(202, {"id": "m1", "state": "Failed", "recipients": [
        {"phoneNumber": "+22376000001", "state": "Failed", "error": "no SIM"}]}), False, "Failed"),
]


@pytest.mark.parametrize("label, answer, retryable, code", SEND_FAILURES, ids=[f[0] for f in SEND_FAILURES])
def test_send_failures_say_whether_a_retry_may_help(runtime, fake_relay, label, answer, retryable, code):
    fake_relay.script = [answer]
    with pytest.raises(ProviderError) as error:
        send_one(runtime)
    assert_refusal(error.value, retryable, code)


def test_a_phone_that_cannot_be_reached_is_retryable(runtime):
    config = runtime.config.with_overrides(relay_api_base="http://127.0.0.1:1")
    with pytest.raises(ProviderError) as error:
        relay.make_sender(config).send(OutboundSms(to="+22376000001", body="x"))
    assert error.value.retryable


# --- health: check-ins and the silence alert ---------------------------------------------------

def ping(client, clock):
    return relay_post(client, clock, envelope(event="system:ping", payload={"health": {"status": "pass"}}),
                      path="ping")


def silence_alerts(runtime) -> list[Message]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Message).where(Message.kind == "relay_silence").order_by(Message.id)))


def test_a_silent_relay_alerts_the_triage_desk_once_and_again_only_after_a_new_silence(client, runtime, clock,
                                                                                       forums, run_jobs, fake_relay):
    assert ping(client, clock).status_code == 200
    clock.advance(minutes=29)
    sweep(runtime)
    assert silence_alerts(runtime) == []
    clock.advance(minutes=2)                        # 31 minutes without a word
    sweep(runtime)
    clock.advance(minutes=60)
    sweep(runtime)                                  # still silent: no second alert
    [alert] = silence_alerts(runtime)
    assert "..7c815b" in alert.body and "31 min" in alert.body and "09:00 UTC" in alert.body
    assert alert.coordinator_id is not None and len(alert.body) <= 160
    ping(client, clock)                             # back: the next silence is a new one
    clock.advance(minutes=20)
    relay_post(client, clock, envelope())           # any signed call is a sign of life
    clock.advance(minutes=29)
    sweep(runtime)
    assert len(silence_alerts(runtime)) == 1
    clock.advance(minutes=2)
    sweep(runtime)
    assert len(silence_alerts(runtime)) == 2
    run_jobs()
    assert [json.loads(r.body)["phoneNumbers"] for r in fake_relay.requests if "RELAIS" in r.body] == \
        [["+22370000009"]] * 2


def test_two_relay_phones_are_watched_separately(client, runtime, clock, forums):
    ping(client, clock)
    clock.advance(minutes=20)
    relay_post(client, clock, envelope(event="system:ping", payload={}, deviceId="moov-phone-2"), path="ping")
    clock.advance(minutes=15)
    sweep(runtime)
    assert ["..7c815b" in alert.body for alert in silence_alerts(runtime)] == [True]


def test_a_storm_checks_in_with_one_database_write(client, runtime, clock):
    for number in range(5):
        relay_post(client, clock, envelope(event_id=f"e{number}"))
    clock.advance(seconds=30)
    relay_post(client, clock, envelope(event_id="later"))
    with runtime.transaction() as session:
        device = session.get(RelayDevice, DEVICE)
    assert device.last_seen_at.replace(tzinfo=None) == device.first_seen_at.replace(tzinfo=None)


def test_the_last_check_in_is_in_the_metrics(client, runtime, clock):
    ping(client, clock)
    lines = dict(line.rsplit(" ", 1) for line in render(runtime).decode().splitlines() if line.startswith("gateway_relay"))
    assert float(lines[f'gateway_relay_last_checkin_timestamp_seconds{{device="{DEVICE}"}}']) == clock().timestamp()
    assert float(lines[f'gateway_relay_silent{{device="{DEVICE}"}}']) == 0


# --- configuration -----------------------------------------------------------------------------

def test_production_with_the_relay_wants_its_credentials_and_key(tmp_path):
    from gateway.config import load_config
    from gateway.errors import ConfigError
    from tests.gateway.test_config import PRODUCTION

    env = dict(PRODUCTION, SMS_PROVIDER="relay", GATEWAY_INSTANCE_DIR=str(tmp_path))
    with pytest.raises(ConfigError, match="RELAY_USERNAME"):
        load_config(env)
    config = load_config(dict(env, RELAY_USERNAME="sms", RELAY_PASSWORD="p", RELAY_SIGNING_KEY=KEY,
                              RELAY_SILENCE_MINUTES="45"))
    assert (config.relay_api_base, config.relay_silence_minutes) == ("https://api.sms-gate.app/3rdparty/v1", 45)
    with pytest.raises(ConfigError, match="RELAY_SILENCE_MINUTES"):
        load_config(dict(env, RELAY_SILENCE_MINUTES="0"))


@pytest.mark.parametrize("order, expected", [(("relay",), "relay"), (("relay", "twilio"), "twilio"),
                                             (("orange", "relay"), "orange")])
def test_the_silence_news_goes_through_a_provider_other_than_the_silent_phone(order, expected):
    """The relay's API may take a message and never send it while the phone is off."""
    assert provider_besides_relay(order) == expected
