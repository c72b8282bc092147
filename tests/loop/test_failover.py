"""Failover end to end: a report comes in by Twilio, the coordinator's alert goes out through
SMS_PROVIDERS=orange,twilio while Orange is down, and Orange is tried again after the cool-down.
Also the per-forum provider of the forums file."""
from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import select

from gateway.forums_file import ForumsFileError, parse_forums_file
from gateway.redelivery import next_provider
from gateway.store.models import Alert
from gateway.store.forums import load_forums
from tests.conftest import DEMO_FORUMS
from tests.helpers import signed_post
from tests.fakes.orange_api import WEBHOOK_TOKEN, orange_config, orange_error
from tests.loop.helpers import BORDER_PRIMARY, KENIEBA_PRIMARY, MINING_TEXT, messages, report, texts_to

BORDER_TEXT = "Des trafiquants armes ont passe la frontiere pres de Kenieba cette nuit"
COOLDOWN_SECONDS = 300


@pytest.fixture
def orange_base(fake_orange):
    return fake_orange.base_url


@pytest.fixture
def config_env(config_env, orange_base):
    env = orange_config(config_env, orange_base)
    env.pop("SMS_PROVIDER")
    return dict(env, SMS_PROVIDERS="orange,twilio")


@pytest.fixture
def config_overrides(config_overrides):
    return dict(config_overrides, failover_after_failures=(2, 120), failover_cooldown_seconds=COOLDOWN_SECONDS)


def to_kenieba(runtime):
    """Messages to the Kéniéba forum's primary coordinator (alerts, and updates for the same incident)."""
    from sqlalchemy import select

    from gateway.store.models import Coordinator

    with runtime.transaction() as session:
        person = session.scalar(select(Coordinator.id).where(Coordinator.phone == KENIEBA_PRIMARY))
    return messages(runtime, coordinator_id=person)


@pytest.mark.parametrize("orange_base", ["http://127.0.0.1:1"], ids=["connection refused"])
def test_with_orange_unreachable_the_alert_still_arrives_through_twilio(client, runtime, forums, run_jobs,
                                                                        fake_twilio, orange_base):
    reference = report(client, MINING_TEXT)
    run_jobs()
    [text] = texts_to(fake_twilio, KENIEBA_PRIMARY)
    assert text.startswith(f"ALERTE {reference}")
    [alert] = to_kenieba(runtime)
    assert (alert.provider, alert.status, alert.provider_message_id[:2]) == ("twilio", "queued", "SM")


def test_orange_refusing_the_account_sends_the_very_first_alert_through_twilio(client, runtime, forums, run_jobs,
                                                                               fake_twilio, fake_orange):
    """No SMS bundle left (403 policy): every message would fail, so no waiting for N failures."""
    fake_orange.api.send_script = [orange_error(403, "policyException", "POL0001", "A policy error occurred")] * 5
    reference = report(client, MINING_TEXT)
    run_jobs()
    [text] = texts_to(fake_twilio, KENIEBA_PRIMARY)
    assert text.startswith(f"ALERTE {reference}")
    [alert] = to_kenieba(runtime)
    assert (alert.provider, alert.status) == ("twilio", "queued")
    assert runtime.redis.get("gateway:circuit:orange:open_until") is not None


def test_orange_down_then_twilio_then_orange_again_after_the_cool_down(client, runtime, forums, run_jobs,
                                                                        fake_twilio, fake_orange, clock):
    fake_orange.api.down = True                                   # every send answers 503
    first = report(client, MINING_TEXT)
    run_jobs()
    assert texts_to(fake_twilio, KENIEBA_PRIMARY)[0].startswith(f"ALERTE {first}")
    assert len(fake_orange.api.sends) == 2                        # two 503s opened Orange's circuit
    assert [m.provider for m in to_kenieba(runtime)] == ["twilio"]

    clock.advance(minutes=1)                                      # circuit open: Orange is not even asked
    second = report(client, BORDER_TEXT)
    run_jobs()
    assert texts_to(fake_twilio, BORDER_PRIMARY)[0].startswith(f"ALERTE {second}")
    assert len(fake_orange.api.sends) == 2

    fake_orange.api.down = False
    clock.advance(seconds=COOLDOWN_SECONDS)                       # half-open: the next alert probes Orange
    third = report(client, MINING_TEXT + " encore")             # same incident: an update to Kéniéba
    run_jobs()
    [probe] = fake_orange.api.texts_to(KENIEBA_PRIMARY)
    assert probe.startswith(f"MAJ {first}") and third in probe
    assert [m.provider for m in to_kenieba(runtime)] == ["twilio", "orange"]
    assert runtime.redis.keys("gateway:circuit:orange:*") == []   # closed again
    scrape = client.get("/metrics").get_data(as_text=True)
    for state in ("opened", "closed"):
        assert f'gateway_provider_circuit_total{{provider="orange",state="{state}"}} 1.0' in scrape


def test_a_probe_that_fails_keeps_twilio_carrying_for_another_cool_down(client, runtime, forums, run_jobs,
                                                                        fake_twilio, fake_orange, clock):
    fake_orange.api.down = True
    report(client, MINING_TEXT)
    run_jobs()
    clock.advance(seconds=COOLDOWN_SECONDS + 1)
    report(client, BORDER_TEXT)
    run_jobs()
    assert len(fake_orange.api.sends) == 3                        # two failures, then one failed probe
    clock.advance(seconds=COOLDOWN_SECONDS - 10)
    report(client, MINING_TEXT + " encore")
    run_jobs()
    assert len(fake_orange.api.sends) == 3
    assert [m.provider for m in to_kenieba(runtime)] == ["twilio", "twilio"]


# --- per-forum provider ---------------------------------------------------------------------

def forums_with_provider(runtime, forum_id: str, provider: str) -> None:
    data = yaml.safe_load(DEMO_FORUMS.read_text(encoding="utf-8"))
    for forum in data["forums"]:
        if forum["id"] == forum_id:
            forum["provider"] = provider
    text = yaml.safe_dump(data, allow_unicode=True)
    with runtime.transaction() as session:
        load_forums(session, parse_forums_file(text))
    with runtime.transaction() as session:                      # loading it again changes nothing
        summary = load_forums(session, parse_forums_file(text))
    assert (summary.created, summary.updated) == (0, 0)


def test_a_forum_with_its_own_provider_gets_its_alerts_through_it(client, runtime, run_jobs, fake_twilio,
                                                                   fake_orange):
    forums_with_provider(runtime, "southwest-border", "twilio")   # the deployment prefers Orange
    mining, border = report(client, MINING_TEXT), report(client, BORDER_TEXT)
    run_jobs()
    assert [t[:13] for t in fake_orange.api.texts_to(KENIEBA_PRIMARY)] == [f"ALERTE {mining}"]
    assert [t[:13] for t in texts_to(fake_twilio, BORDER_PRIMARY)] == [f"ALERTE {border}"]
    assert texts_to(fake_twilio, KENIEBA_PRIMARY) == [] and fake_orange.api.texts_to(BORDER_PRIMARY) == []


def test_a_forum_s_provider_still_fails_over_to_the_deployment_s_list(client, runtime, run_jobs, fake_twilio,
                                                                      fake_orange):
    forums_with_provider(runtime, "kenieba-mining", "orange")
    fake_orange.api.down = True
    reference = report(client, MINING_TEXT)
    run_jobs()
    assert texts_to(fake_twilio, KENIEBA_PRIMARY)[0].startswith(f"ALERTE {reference}")


def test_a_forums_file_naming_an_unknown_provider_is_refused():
    data = yaml.safe_load(DEMO_FORUMS.read_text(encoding="utf-8"))
    data["forums"][0]["provider"] = "pigeon"
    with pytest.raises(ForumsFileError, match="kenieba-mining: provider must be one of"):
        parse_forums_file(yaml.safe_dump(data))


def test_a_send_left_sending_after_a_failover_is_found_at_the_fallback_not_sent_again(
        client, runtime, forums, run_jobs, fake_twilio, fake_orange, clock):
    """A worker died after Twilio took the alert but before recording it: the message still
    says 'orange', yet Twilio is asked too, and nothing is sent twice."""
    from sqlalchemy import update

    from gateway.store.models import Message
    from gateway.sweeper import sweep

    fake_orange.api.down = True
    report(client, MINING_TEXT)
    run_jobs()
    [alert] = to_kenieba(runtime)
    with runtime.transaction() as session:
        session.execute(update(Message).where(Message.id == alert.id)
                        .values(status="sending", provider="orange", provider_message_id=None))
    clock.advance(seconds=runtime.config.send_stuck_seconds + 1)
    assert sweep(runtime).stuck_sends == 1
    run_jobs()
    assert len(texts_to(fake_twilio, KENIEBA_PRIMARY)) == 1
    [again] = to_kenieba(runtime)
    assert (again.provider, again.provider_message_id) == ("twilio", alert.provider_message_id)


def twilio_status(client, sid: str, status: str):
    return signed_post(client, "/webhooks/twilio/status", {"MessageSid": sid, "MessageStatus": status,
                                                            "AccountSid": "AC" + "1" * 32})


def orange_receipt(client, provider_message_id: str, status: str):
    body = {"deliveryInfoNotification": {"callbackData": provider_message_id,
                                         "deliveryInfo": {"address": "tel:" + KENIEBA_PRIMARY,
                                                          "deliveryStatus": status}}}
    return client.post(f"/webhooks/orange/delivery?token={WEBHOOK_TOKEN}", data=json.dumps(body),
                       content_type="application/json")


def test_an_alert_orange_took_but_could_not_deliver_goes_out_again_through_twilio(client, runtime, forums,
                                                                                   run_jobs, fake_twilio):
    """E.g. an operator that cannot reach the coordinator's network: the delivery report, not the
    send, says it failed. Once: a repeated receipt does nothing, and Twilio is the list's end."""
    reference = report(client, MINING_TEXT)
    run_jobs()
    [taken] = to_kenieba(runtime)
    assert (taken.provider, taken.status) == ("orange", "sent") and texts_to(fake_twilio, KENIEBA_PRIMARY) == []
    for _ in range(2):
        assert orange_receipt(client, taken.provider_message_id, "DeliveryImpossible").status_code == 200
        run_jobs()
    [resent] = texts_to(fake_twilio, KENIEBA_PRIMARY)
    assert resent.startswith(f"ALERTE {reference}")
    failed, again = to_kenieba(runtime)
    assert (failed.provider, failed.status, failed.error_code) == ("orange", "undelivered", "DeliveryImpossible")
    assert (again.provider, again.body) == ("twilio", failed.body)
    with runtime.transaction() as session:
        assert session.scalar(select(Alert.message_id).where(Alert.coordinator_id == failed.coordinator_id)) == again.id
    twilio_status(client, again.provider_message_id, "undelivered")     # the end of the list: no third try
    run_jobs()
    assert len(to_kenieba(runtime)) == 2


@pytest.mark.parametrize("order, current, expected", [
    (("orange", "twilio"), "orange", "twilio"), (("orange", "twilio"), "twilio", None), (("twilio",), "twilio", None),
    (("orange", "twilio"), "relay", "orange"), (("console",), "console", None)])
def test_the_next_provider_for_an_undelivered_alert(order, current, expected):
    assert next_provider(current, order) == expected
