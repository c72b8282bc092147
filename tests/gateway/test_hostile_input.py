"""Hostile input, fuzzed: every webhook answers 2xx/4xx (never 500), accepts nothing unsigned,
and never reflects what it was sent; the USSD engine survives the same strings.

To fuzz a new webhook (Africa's Talking ussd/sms/delivery…), add a Webhook to WEBHOOKS with
its fields and how the provider authenticates a request; every property below then covers it.
"""
from __future__ import annotations

import ast
import functools
import pathlib
import urllib.parse
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gateway.keywords import parse_keyword
from gateway.store.ingest import storable
from gateway.store.models import Message, Report
from tests.conftest import TEST_KEYS
from tests.helpers import REPORTER, new_sid
from twilio.request_validator import RequestValidator

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HOSTILE = [
    "'; DROP TABLE reports; --", "1' OR '1'='1", "\" OR 1=1 --", "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>", "]]><!--", "&amp;&lt;&#0;", "\x00", "\x00\x01\x1b[31m\x7f",
    "%00%ff", "{{7*7}}", "${jndi:ldap://x}", "\u202e\u200b\ufeff", "𝕏😀", "\r\nSet-Cookie: a=b",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE), st.text(max_size=200),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Co"]), max_size=50),
    st.text(min_size=1500, max_size=2000),
)


def sign_twilio(path: str, form: dict) -> tuple[str, dict]:
    url = TEST_KEYS["PUBLIC_BASE_URL"] + path
    return path, {"X-Twilio-Signature": RequestValidator(TEST_KEYS["TWILIO_AUTH_TOKEN"]).compute_signature(url, form)}


@dataclass(frozen=True)
class Webhook:
    label: str
    path: str
    fields: dict                                            # field name -> strategy of values
    authenticate: Callable[[str, dict], tuple[str, dict]]   # (path, form) -> (target with query, headers)
    reply_type: str                                         # mimetype of a 200
    malformed_status: int = 400                             # USSD: 200 with an END, since a 4xx ends the session


def with_at_token(path: str, _form: dict) -> tuple[str, dict]:
    return path + "?" + urllib.parse.urlencode({"token": TEST_KEYS["AT_WEBHOOK_TOKEN"]}), {}


plausible_sid = st.builds(new_sid)
plausible_at_id = st.builds(lambda: "ATUid_" + new_sid())
WEBHOOKS = [
    Webhook("twilio sms", "/webhooks/twilio/sms", {
        "MessageSid": st.one_of(plausible_sid, plausible_sid, hostile_text),
        "From": st.one_of(st.just(REPORTER), st.sampled_from(["+22366554433", "0022376123456"]), hostile_text),
        "To": st.one_of(st.just("+15005550006"), hostile_text),
        "Body": hostile_text,
        "NumSegments": st.one_of(st.just("1"), hostile_text),
        "AccountSid": st.one_of(st.just(TEST_KEYS["TWILIO_ACCOUNT_SID"]), hostile_text),
    }, sign_twilio, "text/xml"),
    Webhook("twilio status", "/webhooks/twilio/status", {
        "MessageSid": st.one_of(plausible_sid, hostile_text),
        "MessageStatus": st.one_of(st.sampled_from(["delivered", "failed", "undelivered", "sent"]), hostile_text),
        "ErrorCode": st.one_of(st.just("30003"), hostile_text),
    }, sign_twilio, "text/xml"),
    Webhook("africastalking ussd", "/webhooks/africastalking/ussd", {
        "sessionId": st.one_of(plausible_at_id, plausible_at_id, hostile_text),
        "serviceCode": st.one_of(st.just("*384*123#"), hostile_text),
        "phoneNumber": st.one_of(st.just(REPORTER), hostile_text),
        "networkCode": st.one_of(st.just("61002"), hostile_text),
        "text": st.one_of(st.just(""), st.sampled_from(["1", "1*3", "1*3*99"]), hostile_text),
    }, with_at_token, "text/plain", malformed_status=200),
    Webhook("africastalking ussd end", "/webhooks/africastalking/ussd/events", {
        "sessionId": st.one_of(plausible_at_id, plausible_at_id, hostile_text),
        "phoneNumber": st.one_of(st.just(REPORTER), hostile_text),
        "status": st.one_of(st.sampled_from(["Success", "Incomplete", "Failed"]), hostile_text),
        "errorMessage": hostile_text,
        "hopsCount": st.one_of(st.just("3"), hostile_text),
    }, with_at_token, "text/plain"),
    Webhook("africastalking sms", "/webhooks/africastalking/sms", {
        "id": st.one_of(plausible_at_id, plausible_at_id, hostile_text),
        "from": st.one_of(st.just(REPORTER), hostile_text),
        "to": st.one_of(st.just("36123"), hostile_text),
        "text": hostile_text,
        "date": st.one_of(st.just("2026-11-02 09:00:00"), hostile_text),
        "linkId": hostile_text,
    }, with_at_token, "text/plain"),
    Webhook("africastalking delivery", "/webhooks/africastalking/delivery", {
        "id": st.one_of(plausible_at_id, hostile_text),
        "status": st.one_of(st.sampled_from(["Success", "Failed", "Rejected", "Sent"]), hostile_text),
        "failureReason": st.one_of(st.just("UserInBlackList"), hostile_text),
    }, with_at_token, "text/plain"),
]
IDS = [hook.label for hook in WEBHOOKS]


def forms(hook: Webhook):
    """Every field plausible or hostile, and any of them missing."""
    present = st.sets(st.sampled_from(sorted(hook.fields)))
    return present.flatmap(lambda keys: st.fixed_dictionaries({key: hook.fields[key] for key in sorted(keys)}))


@pytest.fixture
def config_overrides(config_overrides):
    # Properties about one request each: the per-address limit would turn 403s into 429s.
    return dict(config_overrides, rate_limit_auth_failures_per_ip=(0, 1), rate_limit_per_number=(0, 1))


def post(client, hook: Webhook, form: dict, *, signed: bool = True, **kwargs):
    target, headers = hook.authenticate(hook.path, form) if signed else (hook.path, {})
    return client.post(target, data=urllib.parse.urlencode(form),
                       content_type="application/x-www-form-urlencoded", headers=headers, **kwargs)


@functools.cache
def gateway_wording() -> str:
    """Everything the gateway may say in its own words: the string constants of its code and its menu
    strings. Hypothesis draws values from the constants of the code under test, so a request value
    can be a piece of a reply ("invalid sign" of "invalid signature") without being reflected."""
    root = pathlib.Path(__file__).resolve().parents[2]
    words = [path.read_text(encoding="utf-8") for path in (root / "menus").rglob("*.yaml")]
    for path in [*(root / "gateway").rglob("*.py"), *(root / "menus").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.append(node.value)
    return "\n".join(words)


def assert_no_reflection(response, form: dict) -> None:
    text = response.get_data(as_text=True)
    for value in form.values():
        if len(value) >= 12 and value not in gateway_wording():
            assert value not in text, "a request value came back in the response"
    for marker in ("<script", "<img", "DROP TABLE", "onerror"):
        assert marker not in text


@pytest.mark.parametrize("hook", WEBHOOKS, ids=IDS)
def test_signed_random_forms_get_an_answer_never_a_500(client, runtime, hook):
    @FUZZ
    @given(form=forms(hook))
    def check(form):
        response = post(client, hook, form)
        assert response.status_code in (200, hook.malformed_status, 400), response.get_data(as_text=True)
        assert_no_reflection(response, form)
        if response.status_code == 200:
            assert response.mimetype == hook.reply_type
            if hook.reply_type == "text/xml":
                ElementTree.fromstring(response.get_data())     # well-formed: whatever came in is escaped
        else:
            assert response.mimetype == "text/plain"
    check()


@pytest.mark.parametrize("hook", WEBHOOKS, ids=IDS)
def test_unsigned_or_badly_signed_requests_are_refused_and_store_nothing(client, runtime, hook):
    header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)

    @FUZZ
    @given(form=forms(hook), signature=st.one_of(st.none(), header_text, st.just("<script>alert(1)</script>")))
    def check(form, signature):
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        response = client.post(hook.path, data=urllib.parse.urlencode(form), headers=headers,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 403
        assert_no_reflection(response, form)
    check()
    with runtime.transaction() as session:
        assert session.scalar(select(Message)) is None


@FUZZ
@given(body=hostile_text)
def _stored_exactly(client, runtime, body):
    form = {"MessageSid": new_sid(), "From": REPORTER, "To": "+15005550006", "Body": body}
    response = post(client, WEBHOOKS[0], form)
    if len(body) > 1600:
        assert response.status_code == 400
        return
    assert response.status_code == 200
    with runtime.transaction() as session:
        message = session.scalar(select(Message).where(Message.provider_message_id == form["MessageSid"]))
        assert message.body == storable(body)                      # SQL, HTML, controls: kept as data
        if parse_keyword(body) is None:                            # a keyword (e.g. STATUS) makes no report
            assert session.get(Report, message.report_id).text == storable(body)


def test_sql_html_and_control_characters_are_stored_as_plain_data(client, runtime):
    _stored_exactly(client, runtime)


@pytest.mark.parametrize("hook", WEBHOOKS, ids=IDS)
@pytest.mark.parametrize("raw", [b"Body=%FF%FE%FD&From=%C3", b"\xff\xfe\x00\x01", b"Body=" + b"\xc3\x28" * 50,
                                 b"a=1&a=2&a=3&" * 50, b"=&=&&==", b"%"], ids=["pct-invalid", "binary", "raw-invalid",
                                                                                "repeated", "empty-keys", "lone-pct"])
def test_invalid_utf8_is_refused_or_answered_not_crashed(client, runtime, hook, raw):
    form = {key: value for key, value in urllib.parse.parse_qsl(raw.decode("latin-1"), encoding="utf-8",
                                                                 errors="replace")}
    _, headers = hook.authenticate(hook.path, form)
    for given_headers in ({}, headers):
        target = hook.authenticate(hook.path, form)[0] if given_headers is headers else hook.path
        response = client.post(target, data=raw, headers=given_headers,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code in (hook.malformed_status, 403), response.get_data(as_text=True)


CONTENT_TYPES = [
    ("json", "application/json", b'{"Body": "x", "From": "+22376123456", "MessageSid": "SM1"}'),
    ("xml", "application/xml", b"<Body>x</Body>"),
    ("text", "text/plain", b"Body=x&From=%2B22376123456"),
    ("multipart without boundary", "multipart/form-data", b"--x\r\n\r\n"),
    ("multipart garbage", "multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\nx"),
    ("none", None, b"Body=x"),
]


@pytest.mark.parametrize("hook", WEBHOOKS, ids=IDS)
@pytest.mark.parametrize("label, content_type, data", CONTENT_TYPES, ids=[case[0] for case in CONTENT_TYPES])
def test_wrong_content_types_are_refused_not_crashed(client, runtime, hook, label, content_type, data):
    signed_target, headers = hook.authenticate(hook.path, {})      # the signature of an empty form
    for target, given_headers in ((hook.path, {}), (signed_target, headers)):
        response = client.post(target, data=data, content_type=content_type, headers=given_headers)
        assert response.status_code in (hook.malformed_status, 403), (label, response.status_code)


@pytest.mark.parametrize("hook", WEBHOOKS, ids=IDS)
@pytest.mark.parametrize("size", [64 * 1024 + 1, 1024 * 1024])
def test_huge_bodies_are_refused_before_anything_is_read(client, hook, size):
    target, headers = hook.authenticate(hook.path, {})
    response = client.post(target, data=b"Body=" + b"x" * size, headers=headers,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413 and response.mimetype == "text/plain"


def test_every_ussd_hop_gets_200_and_a_con_or_end_screen(client, runtime):
    hook = next(hook for hook in WEBHOOKS if hook.label == "africastalking ussd")

    @FUZZ
    @given(form=forms(hook))
    def check(form):
        response = post(client, hook, form)
        assert response.status_code == 200 and response.get_data(as_text=True)[:4] in ("CON ", "END ")
    check()


def test_hostile_strings_through_the_ussd_engine():
    """The USSD webhook (Africa's Talking) hands user input to menus.step; it must hold."""
    from menus.engine import load_menu, step
    from menus.text import non_gsm7

    menu = load_menu()

    @settings(max_examples=100, deadline=None)
    @given(hops=st.lists(st.one_of(hostile_text, st.sampled_from(["1", "2", "0", "00", "99"])), max_size=12),
           language=st.sampled_from([None, "fr", "bm", "en"]))
    def check(hops, language):
        state = None
        for text in hops:
            result = step(menu, state, text, language=language)
            assert result.reply and not non_gsm7(result.reply.replace("{ref}", "K7MXA3"))
            for marker in ("<script", "DROP TABLE"):
                assert marker not in result.reply
            state = result.state
    check()
