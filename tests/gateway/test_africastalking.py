"""Africa's Talking: the standard provider cases, inbound SMS, delivery reports, the SDK sender."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.domain import OutboundSms
from gateway.errors import BadSignature, ProviderError
from gateway.providers import africastalking as at
from gateway.store.models import Message, Report
from tests.fakes.provider_server import ScriptedResponse, at_answer, at_refused
from tests.gateway.test_metrics import samples
from tests.helpers import AT_TOKEN, REPORTER, assert_refusal, at_config, at_post, sent_message, status_of

SMS = {"from": REPORTER, "to": "36123", "text": "Des hommes armes ont attaque le marche de Boni",
       "date": "2026-11-02 09:00:00", "id": "ATXid_0a1b2c3d", "linkId": "SampleLinkId123"}
HOP = {"sessionId": "ATUid_9f8e7d", "serviceCode": "*384*123#", "phoneNumber": REPORTER,
       "networkCode": "61002", "text": ""}
DELIVERY = {"id": "ATXid_out_1", "status": "Success", "phoneNumber": "+22376000001", "networkCode": "61002",
            "retryCount": "0"}
SESSION_END = {"sessionId": "ATUid_9f8e7d", "serviceCode": "*384*123#", "phoneNumber": REPORTER,
               "networkCode": "61002", "status": "Incomplete", "hopsCount": "3", "durationInMillis": "41000",
               "lastAppResponse": "CON Ou?", "errorMessage": "", "cost": "KES 0.00", "input": "1*3"}


@pytest.fixture
def config_env(config_env, fake_at):
    return at_config(config_env, fake_at)


def count(runtime, model) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- the token: every endpoint, the same rule ------------------------------------------------

ENDPOINTS = [("ussd", HOP), ("sms", SMS), ("delivery", DELIVERY), ("ussd/events", SESSION_END)]
BAD_TOKENS = [("no token", None), ("empty token", ""), ("wrong token", "not-the-token"),
              ("token with a suffix", AT_TOKEN + "x"), ("token prefix", AT_TOKEN[:-1])]


@pytest.mark.parametrize("endpoint, form", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("label, token", BAD_TOKENS, ids=[t[0] for t in BAD_TOKENS])
def test_callers_without_our_token_get_403_and_change_nothing(client, runtime, endpoint, form, label, token):
    response = at_post(client, endpoint, form, token=token)
    assert response.status_code == 403
    assert count(runtime, Message) == 0 and runtime.redis.keys("ussd:*") == []


@pytest.mark.parametrize("config_overrides", [{"rate_limit_auth_failures_per_ip": (2, 60)}])
def test_an_address_that_keeps_failing_gets_429_yet_the_right_token_still_passes(client, runtime, config_overrides):
    codes = [at_post(client, "ussd", HOP, token="wrong").status_code for _ in range(3)]
    assert codes == [403, 403, 429]
    response = at_post(client, "ussd", HOP)     # AT behind the same address is never refused for it
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("CON ")


@pytest.mark.parametrize("given, expected", [("t", ""), ("", ""), (None, "t"), ("T", "t")])
def test_verify_token_refuses_anything_but_the_configured_token(given, expected):
    with pytest.raises(BadSignature):
        at.verify_token(given, expected)
    at.verify_token("s3cret", "s3cret")


# --- inbound SMS ------------------------------------------------------------------------------

def test_an_inbound_sms_is_stored_and_its_receipt_goes_out_through_the_api(client, runtime, run_jobs, fake_at):
    response = at_post(client, "sms", SMS)
    assert (response.status_code, response.get_data(as_text=True)) == (200, "")
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
        receipt = session.scalar(select(Message).where(Message.kind == "receipt"))
    assert (report.channel, report.text, receipt.provider, receipt.status) == ("sms", SMS["text"], "africastalking", "queued")
    run_jobs()
    [sent] = fake_at.requests
    assert sent.path == "/version1/messaging" and sent.headers["apiKey"] == "test-at-key"
    assert sent.form["to"] == REPORTER and sent.form["username"] == "gateway-test" and sent.form["from"] == "36123"
    assert f"Ref {report.reference}" in sent.form["message"] and "Boni" not in sent.form["message"]
    with runtime.transaction() as session:
        receipt = session.get(Message, receipt.id)
    assert receipt.status == "sent" and receipt.provider_message_id.startswith("ATXid_")


def test_a_duplicate_sms_id_creates_one_report_and_one_receipt(client, runtime, run_jobs, fake_at):
    assert at_post(client, "sms", SMS).status_code == at_post(client, "sms", SMS).status_code == 200
    run_jobs()
    assert count(runtime, Report) == 1 and count(runtime, Message) == 2
    assert len(fake_at.requests) == 1


MALFORMED_SMS = [
    ("no id", {"id": ""}), ("id with quotes", {"id": "AT'; DROP TABLE reports;--"}),
    ("no from", {"from": ""}), ("from not a number", {"from": "not-a-number"}),
    ("text over 1600 characters", {"text": "x" * 1601}), ("no text field", {"text": None}),
]


@pytest.mark.parametrize("label, change", MALFORMED_SMS, ids=[m[0] for m in MALFORMED_SMS])
def test_malformed_sms_gets_a_clear_400(client, runtime, label, change):
    form = {key: value for key, value in {**SMS, **change}.items() if value is not None}
    response = at_post(client, "sms", form)
    assert response.status_code == 400 and "malformed" in response.get_data(as_text=True)
    assert count(runtime, Report) == 0


def test_an_unreadable_date_does_not_lose_the_report(client, runtime):
    assert at_post(client, "sms", {**SMS, "date": "yesterday"}).status_code == 200
    assert count(runtime, Report) == 1


# --- USSD: malformed hops still get 200 and a readable END -----------------------------------

MALFORMED_HOPS = [
    ("no sessionId", {"sessionId": None}), ("sessionId with spaces", {"sessionId": "a b"}),
    ("no phoneNumber", {"phoneNumber": None}), ("phoneNumber not a number", {"phoneNumber": "abc"}),
    ("no text field", {"text": None}), ("text far too long", {"text": "1*" * 3000}),
]


@pytest.mark.parametrize("label, change", MALFORMED_HOPS, ids=[m[0] for m in MALFORMED_HOPS])
def test_malformed_ussd_hops_get_200_and_an_end_that_says_so(client, runtime, label, change):
    form = {key: value for key, value in {**HOP, **change}.items() if value is not None}
    response = at_post(client, "ussd", form)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "END Desole, cette demande n'a pas pu etre lue. Rappelez."
    assert runtime.redis.keys("ussd:*") == []


def test_the_first_hop_answers_con_with_the_language_menu(client):
    response = at_post(client, "ussd", HOP)
    assert response.status_code == 200 and response.content_type == "text/plain; charset=utf-8"
    assert response.get_data(as_text=True).startswith("CON Langue / Kan / Language\n1. Francais")


# --- delivery reports -------------------------------------------------------------------------

def sent_alert(runtime, provider_message_id: str = DELIVERY["id"]) -> int:
    return sent_message(runtime, "africastalking", provider_message_id)


DELIVERIES = [
    # label, AT statuses in the order they arrive, (our final status, error code)
    ("delivered", ["Sent", "Success"], ("delivered", None)),
    ("late 'Sent' after 'Success' does not move back", ["Success", "Sent"], ("delivered", None)),
    ("buffered then delivered", ["Submitted", "Buffered", "Success"], ("delivered", None)),
    ("failed on the handset side", ["Failed"], ("undelivered", "UserInactive")),
    ("rejected by the operator", ["Rejected"], ("failed", "UserInactive")),
]


@pytest.mark.parametrize("label, statuses, expected", DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_delivery_reports_are_recorded_monotonically(client, runtime, label, statuses, expected):
    message_id = sent_alert(runtime)
    for status in statuses:
        extra = {"failureReason": "UserInactive"} if status in ("Failed", "Rejected") else {}
        assert at_post(client, "delivery", {**DELIVERY, "status": status, **extra}).status_code == 200
    assert status_of(runtime, message_id) == expected


def test_a_delivery_report_for_an_unknown_message_is_acknowledged(client, runtime):
    assert at_post(client, "delivery", {**DELIVERY, "id": "ATXid_unknown"}).status_code == 200


@pytest.mark.parametrize("change", [{"status": "Delivered!"}, {"status": ""}, {"id": ""}])
def test_malformed_delivery_reports_get_400(client, runtime, change):
    message_id = sent_alert(runtime)
    assert at_post(client, "delivery", {**DELIVERY, **change}).status_code == 400
    assert status_of(runtime, message_id) == ("sent", None)


# --- the outbound sender, through the official SDK, against the fake AT API ------------------

def send_one(runtime, to: str = "+22376000001"):
    return at.make_sender(runtime.config).send(OutboundSms(to=to, body="ALERTE 64DXNW test"))


@pytest.mark.parametrize("status_code", [100, 101, 102])
def test_statuses_100_to_102_are_sent(runtime, fake_at, status_code):
    fake_at.script = [at_answer(status_code, "Success", "ATXid_1", "+22376000001")]
    result = send_one(runtime)
    assert result.status == "sent" and result.provider_message_id.startswith("ATXid_") and result.segments == 1


def test_a_json_answer_with_a_charset_is_still_read(runtime, fake_at):
    """SDK 2.0.3 returns a str unless Content-Type is exactly application/json (protocols.md §2.4)."""
    answer = at_answer(101, "Success", "ATXid_1", "+22376000001")
    fake_at.script = [ScriptedResponse(201, answer.body, {"Content-Type": "application/json; charset=utf-8"})]
    assert send_one(runtime).provider_message_id.startswith("ATXid_")


SEND_FAILURES = [
    # label, scripted answer, retryable (True, False, or "account": the account is refused, not this
    # message — retried later and failed over at once), code
    ("HTTP 500", ScriptedResponse(500, {"error": "boom"}), True, "500"),
    ("HTTP 503", ScriptedResponse(503, {"error": "busy"}), True, "503"),
    ("HTTP 429", ScriptedResponse(429, {"error": "slow down"}), True, "429"),
    ("HTTP 401 bad API key", ScriptedResponse(401, {"error": "auth"}), "account", "401"),
    ("statusCode 403 InvalidPhoneNumber", at_refused(403, "InvalidPhoneNumber"), False, "403"),
    ("statusCode 405 InsufficientBalance", at_refused(405, "InsufficientBalance"), "account", "405"),
    ("statusCode 406 UserInBlacklist", at_refused(406, "UserInBlacklist"), False, "406"),
    ("statusCode 500 InternalServerError", at_refused(500, "InternalServerError"), True, "500"),
    ("statusCode 502 RejectedByGateway", at_refused(502, "RejectedByGateway"), True, "502"),
    ("2xx without recipients", ScriptedResponse(201, {"SMSMessageData": {"Message": "InvalidSenderId",
                                                                         "Recipients": []}}), False, None),
    ("2xx that is not JSON", ScriptedResponse(200, "<html>proxy</html>"), False, None),
]


@pytest.mark.parametrize("label, answer, retryable, code", SEND_FAILURES, ids=[f[0] for f in SEND_FAILURES])
def test_send_failures_say_whether_a_retry_may_help(runtime, fake_at, label, answer, retryable, code):
    fake_at.script = [answer]
    with pytest.raises(ProviderError) as error:
        send_one(runtime)
    assert_refusal(error.value, retryable, code)


def test_connection_refused_is_retryable(runtime):
    config = runtime.config.with_overrides(at_api_base="http://127.0.0.1:1")
    with pytest.raises(ProviderError) as error:
        at.make_sender(config).send(OutboundSms(to="+22376000001", body="x"))
    assert error.value.retryable


def test_a_number_that_is_not_e164_is_a_permanent_failure_without_a_request(runtime, fake_at):
    with pytest.raises(ProviderError) as error:
        send_one(runtime, to="76000001")
    assert not error.value.retryable and fake_at.requests == []


def test_a_receipt_whose_first_send_hits_a_5xx_is_retried_until_sent(client, runtime, run_jobs, fake_at):
    fake_at.script = [ScriptedResponse(503, {"error": "busy"})]
    at_post(client, "sms", SMS)
    run_jobs()
    assert len(fake_at.requests) == 2
    with runtime.transaction() as session:
        receipt = session.scalar(select(Message).where(Message.kind == "receipt"))
    assert (receipt.status, receipt.attempts) == ("sent", 2)



# --- the durable path: outages and floods ----------------------------------------------------

def test_an_sms_during_a_database_outage_is_spooled_then_stored_and_its_receipt_sent(client, runtime, run_jobs,
                                                                                     fake_at):
    import dataclasses

    from sqlalchemy import create_engine

    from gateway import create_app
    from gateway.durable import drain
    from gateway.runtime import install
    from gateway.store.db import make_session_factory

    engine = create_engine("sqlite:////nonexistent/dir/db.sqlite")
    down = create_app(runtime=dataclasses.replace(runtime, engine=engine, sessions=make_session_factory(engine)))
    assert at_post(down.test_client(), "sms", SMS).status_code == 200
    assert count(runtime, Report) == 0
    install(runtime)                           # the database is back: jobs run on the working runtime
    drain(runtime)
    run_jobs()
    assert count(runtime, Report) == 1
    assert [request.form["to"] for request in fake_at.requests] == [REPORTER]   # the receipt, after the replay


@pytest.mark.parametrize("config_overrides", [{"send_backoff_seconds": (0,), "rate_limit_per_number": (1, 600)}])
def test_a_number_over_its_rate_limit_is_held_and_gets_no_receipt_through_the_api(client, runtime, run_jobs,
                                                                                 fake_at, config_overrides):
    at_post(client, "sms", SMS)
    at_post(client, "sms", {**SMS, "id": "ATXid_second"})
    run_jobs()
    with runtime.transaction() as session:
        assert sorted(session.scalars(select(Report.status))) == ["held", "triage"]   # held: not processed
    assert len(fake_at.requests) == 1


# --- USSD end-of-session notifications ---------------------------------------------------------

def ended(runtime) -> dict[str, int]:
    """The ussd_sessions_ended counters, as /metrics would show them."""
    from gateway.metrics import EVENTS_KEY
    raw = runtime.redis.hgetall(EVENTS_KEY)
    return {field.decode().split("|", 1)[1]: int(count) for field, count in raw.items()
            if field.startswith(b"ussd_sessions_ended|")}


def dial(client, *inputs: str) -> None:
    """The hops of one session up to `inputs`, as AT would send them."""
    for n in range(len(inputs) + 1):
        at_post(client, "ussd", dict(HOP, text="*".join(inputs[:n])))


FINISHED_JOURNEY = ("1", "3", "1", "4", "Sitakili*site", "1", "1", "Bagarre * orpailleurs", "1")
SESSION_ENDS = [
    # label, inputs before the end, status sent, the screen counted
    ("left on the category screen", ("1",), "Incomplete", "category"),
    ("left on the region screen", ("1", "3"), "Incomplete", "region"),
    ("finished", FINISHED_JOURNEY, "Success", "end"),
    ("dialled and left at once", (), "Incomplete", "language"),
]


@pytest.mark.parametrize("label, inputs, status, screen", SESSION_ENDS, ids=[c[0] for c in SESSION_ENDS])
def test_a_session_end_is_counted_by_how_and_where_it_ended(client, runtime, label, inputs, status, screen):
    dial(client, *inputs)
    response = at_post(client, "ussd/events", dict(SESSION_END, status=status))
    assert (response.status_code, response.get_data(as_text=True)) == (200, "")
    assert ended(runtime) == {f"provider=africastalking,status={status.lower()},screen={screen}": 1}


def test_a_finished_journey_is_counted_as_a_stored_ussd_message(client, runtime):
    dial(client, *FINISHED_JOURNEY)
    counted = samples(client.get("/metrics"))     # /metrics flushes this process's counts first
    assert counted[("gateway_webhook_messages_total",
                    (("channel", "ussd"), ("outcome", "stored"), ("provider", "africastalking")))] == 1


def test_a_session_end_for_another_session_counts_as_unknown(client, runtime):
    dial(client, "1")
    at_post(client, "ussd/events", dict(SESSION_END, sessionId="ATUid_other"))
    assert ended(runtime) == {"provider=africastalking,status=incomplete,screen=unknown": 1}


def test_a_failed_session_is_logged_as_an_error_with_the_aggregators_words(client, runtime, caplog):
    dial(client, "1", "3")
    at_post(client, "ussd/events", dict(SESSION_END, status="Failed", errorMessage="Application timed out"))
    [record] = [r for r in caplog.records if r.getMessage() == "ussd session failed at the aggregator"]
    assert (record.levelname, record.screen, record.error) == ("ERROR", "region", "Application timed out")
    assert REPORTER not in caplog.text and REPORTER[4:] not in caplog.text
    from gateway.metrics import render
    assert ('gateway_ussd_sessions_ended_total{provider="africastalking",screen="region",status="failed"} 1.0'
            in render(runtime).decode())


@pytest.mark.parametrize("form", [{k: v for k, v in SESSION_END.items() if k != "sessionId"},
                                  dict(SESSION_END, status="Finished"), dict(SESSION_END, phoneNumber=""),
                                  dict(SESSION_END, phoneNumber="not a number"), dict(SESSION_END, sessionId="a b")],
                         ids=["no sessionId", "unknown status", "no phoneNumber", "bad phoneNumber", "bad sessionId"])
def test_a_session_end_that_cannot_be_read_is_a_400(client, runtime, form):
    assert at_post(client, "ussd/events", form).status_code == 400
    assert ended(runtime) == {}
