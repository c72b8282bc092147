"""Orange SMS API: the sender (token, send, errors) against a local fake Orange, and the callbacks."""
from __future__ import annotations

import base64
import json
import urllib.parse

import pytest
from sqlalchemy import func, select

from gateway.domain import OutboundSms
from gateway.errors import ProviderError
from gateway.providers import orange
from gateway.store.models import Coordinator, Forum, Message, Report
from gateway.store.outbound import queue_outbound
from tests.fakes.orange_api import CLIENT_ID, CLIENT_SECRET, SEND_PATH, WEBHOOK_TOKEN, orange_config, orange_error
from tests.fakes.provider_server import ScriptedResponse
from tests.helpers import REPORTER, assert_refusal, sent_message, status_of

COORDINATOR = "+22376000001"


@pytest.fixture
def config_env(config_env, fake_orange):
    return dict(orange_config(config_env, fake_orange.base_url), SMS_PROVIDER="orange")


class Ticks:
    """The sender's monotonic clock, moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def sender(runtime, ticks):
    return orange.OrangeSender(runtime.config, clock=ticks)


def send(sender, to: str = COORDINATOR, body: str = "ALERTE 64DXNW test"):
    return sender.send(OutboundSms(to=to, body=body))


# --- the token ------------------------------------------------------------------------------

def test_one_token_serves_many_sends_and_the_request_is_orange_s_shape(sender, fake_orange):
    first, second = send(sender), send(sender, body="ALERTE 2")
    api = fake_orange.api
    [token_request] = api.token_requests
    expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == expected
    assert token_request.form == {"grant_type": "client_credentials"}
    assert [r.path for r in api.sends] == [SEND_PATH, SEND_PATH]
    assert json.loads(api.sends[0].body) == {"outboundSMSMessageRequest": {
        "address": "tel:+22376000001", "senderAddress": "tel:+22370000000",
        "outboundSMSTextMessage": {"message": "ALERTE 64DXNW test"}}}
    assert api.sends[0].headers["Authorization"] == api.sends[1].headers["Authorization"] == "Bearer tok-1"
    assert (first.status, first.segments) == ("sent", 1)
    assert first.provider_message_id.startswith("r") and first.provider_message_id != second.provider_message_id


def test_the_authorization_header_from_orange_s_portal_is_used_as_given(runtime, fake_orange, ticks):
    config = runtime.config.with_overrides(orange_authorization_header="Basic b3JhbmdlOnBvcnRhbA==",
                                           orange_sender_name="PAIX MALI")
    send(orange.OrangeSender(config, clock=ticks))
    assert fake_orange.api.token_requests[0].headers["Authorization"] == "Basic b3JhbmdlOnBvcnRhbA=="
    assert json.loads(fake_orange.api.sends[0].body)["outboundSMSMessageRequest"]["senderName"] == "PAIX MALI"


@pytest.mark.parametrize("seconds_later, tokens", [
    (3600 - 61, 1),      # still inside its hour, with the renewal margin
    (3600 - 59, 2),      # within a minute of expiry: renewed before Orange refuses it
    (7200, 2),
])
def test_the_token_is_renewed_shortly_before_it_expires(sender, fake_orange, ticks, seconds_later, tokens):
    send(sender)
    ticks.now += seconds_later
    send(sender)
    assert len(fake_orange.api.token_requests) == tokens
    assert len(fake_orange.api.sent) == 2


def test_a_401_fetches_a_new_token_once_and_sends_again(sender, fake_orange):
    send(sender)
    fake_orange.api.revoke_tokens()           # Orange dropped it before its expiry
    result = send(sender)
    assert len(fake_orange.api.token_requests) == 2 and len(fake_orange.api.sent) == 2
    assert fake_orange.api.sends[-1].headers["Authorization"] == "Bearer tok-2"
    assert result.provider_message_id


def test_a_second_401_in_a_row_refuses_the_account_and_says_so(sender, fake_orange):
    send(sender)
    fake_orange.api.send_script = [ScriptedResponse(401, {"code": 42, "message": "Expired credentials"})] * 2
    fake_orange.api.revoke_tokens()
    with pytest.raises(ProviderError) as error:
        send(sender)
    assert error.value.account and error.value.retryable and "401" in error.value.reason


# --- send outcomes --------------------------------------------------------------------------

def created(body: dict, headers: dict | None = None) -> ScriptedResponse:
    return ScriptedResponse(201, body, dict({"Content-Type": "application/json"}, **(headers or {})))


SEND_OK = [
    # label, Orange's 201, the id we keep
    ("id from resourceURL", created({"outboundSMSMessageRequest": {
        "resourceURL": f"https://api.orange.com{SEND_PATH}/6ffd1a2b-44c0"}}), "6ffd1a2b-44c0"),
    ("id from the Location header", created({}, {"Location": f"https://api.orange.com{SEND_PATH}/abc123"}), "abc123"),
    ("accepted without any id", created({}), None),
]


@pytest.mark.parametrize("label, answer, message_id", SEND_OK, ids=[c[0] for c in SEND_OK])
def test_201_is_accepted_with_orange_s_id(sender, fake_orange, label, answer, message_id):
    fake_orange.api.send_script = [answer]
    result = send(sender)
    assert (result.status, result.provider_message_id) == ("sent", message_id)


SEND_FAILURES = [
    # label, where, Orange's answer, retryable (True, False, or "account": the account is refused,
    # not this message — retried later and failed over at once), code, words in the reason staff see
    ("400 invalid address", "send", orange_error(400, "serviceException", "SVC0004",
                                                 "No valid addresses provided in message part %1"),
     False, "SVC0004", "No valid addresses"),
    ("403 policy (no bundle left)", "send", orange_error(403, "policyException", "POL0001",
                                                         "A policy error occurred"), "account", "POL0001", "policy"),
    ("404 unknown sender", "send", ScriptedResponse(404, {"code": 60, "message": "Resource not found"}),
     False, "60", "Resource not found"),
    ("429 too many requests", "send", ScriptedResponse(429, {"code": 53, "message": "Too many requests"}),
     True, "53", "429"),
    ("500", "send", ScriptedResponse(500, {"code": 1, "message": "Internal error"}), True, "1", "500"),
    ("503 not JSON", "send", ScriptedResponse(503, "<html>maintenance</html>"), True, "503", "503"),
    ("token refused: bad credentials", "token", ScriptedResponse(401, {"error": "invalid_client"}),
     "account", "401", "token refused"),
    ("token endpoint down", "token", ScriptedResponse(503, {"code": 5, "message": "Service unavailable"}),
     True, "5", "token refused"),
    ("token answer unreadable", "token", ScriptedResponse(200, {"token_type": "Bearer"}), True, None, "unreadable"),
]


@pytest.mark.parametrize("label, where, answer, retryable, code, words", SEND_FAILURES,
                         ids=[c[0] for c in SEND_FAILURES])
def test_send_failures_say_whether_a_retry_may_help_and_why(sender, fake_orange, label, where, answer,
                                                            retryable, code, words):
    setattr(fake_orange.api, f"{where}_script", [answer])
    with pytest.raises(ProviderError) as error:
        send(sender)
    assert_refusal(error.value, retryable, code)
    assert words in error.value.reason and "+22376000001" not in error.value.reason


def test_connection_refused_is_retryable(runtime, ticks):
    config = runtime.config.with_overrides(orange_api_base="http://127.0.0.1:1")
    with pytest.raises(ProviderError) as error:
        send(orange.OrangeSender(config, clock=ticks))
    assert error.value.retryable and "connection" in error.value.reason


# --- callbacks: the token -------------------------------------------------------------------

DR = {"deliveryInfoNotification": {"callbackData": "r00000001",
                                   "deliveryInfo": {"address": "tel:+22376000001",
                                                    "deliveryStatus": "DeliveredToTerminal"}}}
MO = {"inboundSMSMessageNotification": {"inboundSMSMessage": {
    "senderAddress": "tel:" + REPORTER, "destinationAddress": "tel:+22370000000",
    "message": "Des hommes armes ont attaque le marche de Boni", "messageId": "mo-0a1b2c",
    "dateTime": "2026-11-02T09:00:00Z"}}}


def post(client, endpoint: str, payload, token: str | None = WEBHOOK_TOKEN, headers: dict | None = None):
    query = "" if token is None else "?" + urllib.parse.urlencode({"token": token})
    data = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(f"/webhooks/orange/{endpoint}{query}", data=data, content_type="application/json",
                       headers=headers or {})


def count(runtime, model) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


BAD_TOKENS = [("no token", None), ("empty token", ""), ("wrong token", "nope"),
              ("token with a suffix", WEBHOOK_TOKEN + "x"), ("token prefix", WEBHOOK_TOKEN[:-1])]


@pytest.mark.parametrize("endpoint, payload", [("delivery", DR), ("sms", MO)], ids=["delivery", "sms"])
@pytest.mark.parametrize("label, token", BAD_TOKENS, ids=[t[0] for t in BAD_TOKENS])
def test_callers_without_our_token_get_403_and_change_nothing(client, runtime, endpoint, payload, label, token):
    message_id = sent_alert(runtime)
    assert post(client, endpoint, payload, token=token).status_code == 403
    assert count(runtime, Message) == 1 and status_of(runtime, message_id) == ("sent", None)


def test_the_token_may_come_as_a_header_from_a_proxy(client, runtime):
    message_id = sent_alert(runtime)
    response = post(client, "delivery", DR, token=None, headers={orange.TOKEN_HEADER: WEBHOOK_TOKEN})
    assert response.status_code == 200 and status_of(runtime, message_id) == ("delivered", None)


@pytest.mark.parametrize("config_overrides", [{"orange_webhook_token": ""}])
def test_an_unset_webhook_token_refuses_everything(client, runtime, config_overrides):
    assert post(client, "delivery", DR, token="").status_code == 403


# --- delivery receipts ----------------------------------------------------------------------

def sent_alert(runtime, provider_message_id: str = "r00000001") -> int:
    return sent_message(runtime, "orange", provider_message_id)


def dr(status: str, callback_data: str = "r00000001") -> dict:
    return {"deliveryInfoNotification": {"callbackData": callback_data,
                                         "deliveryInfo": {"address": "tel:+22376000001", "deliveryStatus": status}}}


DELIVERIES = [
    # label, Orange's statuses in the order they arrive, (our final status, error code)
    ("delivered", ["DeliveredToNetwork", "DeliveredToTerminal"], ("delivered", None)),
    ("a late MessageWaiting does not move back", ["DeliveredToTerminal", "MessageWaiting"], ("delivered", None)),
    ("the same receipt twice", ["DeliveredToTerminal", "DeliveredToTerminal"], ("delivered", None)),
    ("delivery impossible", ["MessageWaiting", "DeliveryImpossible"], ("undelivered", "DeliveryImpossible")),
    ("uncertain is no news", ["DeliveryUncertain"], ("sent", None)),
]


@pytest.mark.parametrize("label, statuses, expected", DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_delivery_receipts_are_recorded_monotonically(client, runtime, label, statuses, expected):
    message_id = sent_alert(runtime)
    for status in statuses:
        response = post(client, "delivery", dr(status))
        assert (response.status_code, response.get_data(as_text=True)) == (200, "")
    assert status_of(runtime, message_id) == expected
    assert count(runtime, Message) == 1


def test_callback_data_given_as_the_whole_resource_url_is_understood(client, runtime):
    message_id = sent_alert(runtime)
    post(client, "delivery", dr("DeliveredToTerminal", f"https://api.orange.com{SEND_PATH}/r00000001"))
    assert status_of(runtime, message_id) == ("delivered", None)


def test_a_receipt_for_an_unknown_message_is_acknowledged(client, runtime):
    assert post(client, "delivery", dr("DeliveredToTerminal", "r-unknown")).status_code == 200


MALFORMED_DR = [
    ("not JSON", "deliveryInfoNotification=1"), ("empty body", ""), ("a JSON list", [DR]),
    ("no notification", {"deliveryInfo": {"deliveryStatus": "DeliveredToTerminal"}}),
    ("unknown status", dr("Delivered!")), ("no callbackData", dr("DeliveredToTerminal", "")),
    ("callbackData with quotes", dr("DeliveredToTerminal", "r1'; DROP TABLE messages;--")),
    ("deliveryInfo not an object", {"deliveryInfoNotification": {"callbackData": "r1", "deliveryInfo": "x"}}),
]


@pytest.mark.parametrize("label, payload", MALFORMED_DR, ids=[m[0] for m in MALFORMED_DR])
def test_malformed_receipts_get_a_clear_400(client, runtime, label, payload):
    message_id = sent_alert(runtime)
    response = post(client, "delivery", payload)
    assert response.status_code == 400 and "malformed" in response.get_data(as_text=True)
    assert status_of(runtime, message_id) == ("sent", None)


def test_a_receipt_for_a_message_the_send_job_carried_marks_it_delivered(client, runtime, run_jobs, fake_orange):
    with runtime.transaction() as session:
        session.add(Forum(id="f", name="F", kind="forum", categories=[], areas=[], language="fr"))
        session.add(Coordinator(forum_id="f", name="C", phone=COORDINATOR))
        session.flush()
        message_id = queue_outbound(session, provider="orange", kind="alert", body="ALERTE 64DXNW", now=runtime.now(),
                                    coordinator_id=session.scalar(select(Coordinator.id))).id
    runtime.queues.enqueue_send(message_id)
    run_jobs()
    with runtime.transaction() as session:
        stored = session.get(Message, message_id)
    assert (stored.status, stored.provider) == ("sent", "orange")
    assert fake_orange.api.texts_to(COORDINATOR) == ["ALERTE 64DXNW"]
    post(client, "delivery", dr("DeliveredToTerminal", stored.provider_message_id))
    assert status_of(runtime, message_id) == ("delivered", None)


# --- inbound SMS ----------------------------------------------------------------------------

def test_an_inbound_sms_is_stored_and_its_receipt_goes_out_through_the_api(client, runtime, run_jobs, fake_orange):
    response = post(client, "sms", MO)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "")
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
    assert (report.channel, report.text) == ("sms", MO["inboundSMSMessageNotification"]["inboundSMSMessage"]["message"])
    run_jobs()
    [receipt] = fake_orange.api.texts_to(REPORTER)
    assert f"Ref {report.reference}" in receipt and "Boni" not in receipt


def mo(**change) -> dict:
    message = {key: value for key, value in
               {**MO["inboundSMSMessageNotification"]["inboundSMSMessage"], **change}.items() if value is not None}
    return {"inboundSMSMessageNotification": {"inboundSMSMessage": message}}


@pytest.mark.parametrize("label, payload", [("with messageId", mo()), ("without messageId", mo(messageId=None))],
                         ids=["with messageId", "without messageId"])
def test_orange_resending_one_sms_makes_one_report_and_one_receipt(client, runtime, run_jobs, fake_orange,
                                                                    label, payload):
    assert post(client, "sms", payload).status_code == post(client, "sms", payload).status_code == 200
    run_jobs()
    assert count(runtime, Report) == 1 and len(fake_orange.api.texts_to(REPORTER)) == 1


def test_the_same_words_at_another_time_are_another_report(client, runtime):
    post(client, "sms", mo(messageId=None))
    post(client, "sms", mo(messageId=None, dateTime="2026-11-02T09:05:00Z"))
    assert count(runtime, Report) == 2


MALFORMED_MO = [
    ("not JSON", "message=hello"), ("no notification", {"inboundSMSMessage": {}}),
    ("no sender", mo(senderAddress=None)), ("sender not a number", mo(senderAddress="tel:abc")),
    ("no message", mo(message=None)), ("message over 1600 characters", mo(message="x" * 1601)),
    ("neither messageId nor dateTime", mo(messageId=None, dateTime=None)),
]


@pytest.mark.parametrize("label, payload", MALFORMED_MO, ids=[m[0] for m in MALFORMED_MO])
def test_malformed_inbound_sms_gets_a_clear_400(client, runtime, label, payload):
    response = post(client, "sms", payload)
    assert response.status_code == 400 and "malformed" in response.get_data(as_text=True)
    assert count(runtime, Report) == 0
