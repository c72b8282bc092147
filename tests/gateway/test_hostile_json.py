"""Hostile JSON, fuzzed, for the webhooks that take JSON (Orange callbacks, the relay phone):
any document a caller with the right token or key can send gets 2xx/4xx/503, never a 500,
and nothing it sent comes back in the answer. test_hostile_input.py does the same for forms.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.providers import relay
from tests.fakes.orange_api import WEBHOOK_TOKEN, orange_config
from tests.gateway.test_hostile_input import FUZZ, assert_no_reflection, hostile_text
from tests.helpers import REPORTER

RELAY_KEY = "fuzz-relay-signing-key"
leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), hostile_text,
                 st.sampled_from([REPORTER, "tel:" + REPORTER, "DeliveredToTerminal", "DeliveryImpossible",
                                  "sms:received", "sms:failed", "system:ping"]))
anything = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner,
                                                                                             max_size=4), max_leaves=12)


def shaped(template: dict) -> st.SearchStrategy:
    """Documents of the provider's shape, each value plausible, hostile, of the wrong type, or missing."""
    def field(value):
        return shaped(value) if isinstance(value, dict) else st.one_of(st.just(value), anything)
    fields = {key: field(value) for key, value in template.items()}
    present = st.sets(st.sampled_from(sorted(fields)))
    return present.flatmap(lambda keys: st.fixed_dictionaries({key: fields[key] for key in sorted(keys)}))


ORANGE_DR = {"deliveryInfoNotification": {"callbackData": "r00000001", "deliveryInfo": {
    "address": "tel:+22376000001", "deliveryStatus": "DeliveredToTerminal"}}}
ORANGE_MO = {"inboundSMSMessageNotification": {"inboundSMSMessage": {
    "senderAddress": "tel:" + REPORTER, "destinationAddress": "tel:+22370000000", "message": "Attaque a Boni",
    "messageId": "mo-1", "dateTime": "2026-11-02T09:00:00Z"}}}
RELAY_SMS = {"deviceId": "ffffffffceb0b1db0000018e937c815b", "event": "sms:received", "id": "Ey6ECgOkVVFjz3CL48B8C",
             "webhookId": "wh-1", "payload": {"messageId": "1a2b3c4d", "message": "Attaque a Boni",
                                              "phoneNumber": REPORTER, "simNumber": 1,
                                              "receivedAt": "2026-11-02T09:00:00.000+00:00"}}
RELAY_STATUS = dict(RELAY_SMS, event="sms:failed", payload={"messageId": "m1", "phoneNumber": REPORTER,
                                                             "reason": "no credit", "failedAt": "2026-11-02T09:00:00Z"})
ENDPOINTS = [  # label, path, document strategy, signed by
    ("orange delivery", "/webhooks/orange/delivery", shaped(ORANGE_DR), "token"),
    ("orange sms", "/webhooks/orange/sms", shaped(ORANGE_MO), "token"),
    ("relay sms", "/webhooks/relay/sms", shaped(RELAY_SMS), "relay"),
    ("relay status", "/webhooks/relay/status", shaped(RELAY_STATUS), "relay"),
    ("orange, any JSON", "/webhooks/orange/sms", anything, "token"),
    ("relay, any JSON", "/webhooks/relay/sms", anything, "relay"),
]


@pytest.fixture
def config_env(config_env):
    env = orange_config(config_env, "http://127.0.0.1:1")       # no send happens in these tests
    return dict(env, RELAY_SIGNING_KEY=RELAY_KEY, RELAY_USERNAME="sms", RELAY_PASSWORD="pw",
                RELAY_API_BASE="http://127.0.0.1:1")


@pytest.fixture
def config_overrides(config_overrides):
    return dict(config_overrides, rate_limit_auth_failures_per_ip=(0, 1), rate_limit_per_number=(0, 1))


def post(client, clock, path: str, body: bytes, signed_by: str):
    if signed_by == "token":
        return client.post(f"{path}?token={WEBHOOK_TOKEN}", data=body, content_type="application/json")
    timestamp = str(int(clock().timestamp()))
    return client.post(path, data=body, content_type="application/json",
                       headers={relay.TIMESTAMP_HEADER: timestamp,
                                relay.SIGNATURE_HEADER: relay.sign(body, timestamp, RELAY_KEY)})


def strings_in(document) -> list[str]:
    """The string values of a document (not its keys: an error may name a field it needs)."""
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [text for value in document.values() for text in strings_in(value)]
    if isinstance(document, list):
        return [text for value in document for text in strings_in(value)]
    return []


@pytest.mark.parametrize("label, path, documents, signed_by", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_authenticated_random_json_gets_an_answer_never_a_500(client, runtime, clock, label, path, documents,
                                                              signed_by):
    @FUZZ
    @given(document=documents)
    def check(document):
        response = post(client, clock, path, json.dumps(document).encode(), signed_by)
        assert response.status_code in (200, 400, 503), (response.status_code, response.get_data(as_text=True))
        assert_no_reflection(response, {str(n): text for n, text in enumerate(strings_in(document))})
    check()


@pytest.mark.parametrize("path, signed_by", [("/webhooks/orange/delivery", "token"), ("/webhooks/relay/sms", "relay")])
@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[]", b"null", b'"x"', b"1e999", b'{"a":' * 200],
                         ids=["empty", "cut", "binary", "list", "null", "string", "huge number", "deep"])
def test_bodies_that_are_not_json_objects_are_400(client, runtime, clock, path, signed_by, body):
    response = post(client, clock, path, body, signed_by)
    assert response.status_code == 400 and response.mimetype == "text/plain"
