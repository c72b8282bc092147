"""GET /metrics: Prometheus text with counts from the database, Redis and the spool."""
from __future__ import annotations

import dataclasses

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from gateway import create_app
from gateway.store.db import make_session_factory
from tests.helpers import REPORTER, send_sms, signed_post, twilio_form

SECRET = "Des hommes armes au marche de Boni"


def samples(response) -> dict[tuple, float]:
    text = response.get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_messages_reports_sends_queues_and_the_spool(client, runtime, forums, run_jobs):
    send_sms(client, "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba")
    form = twilio_form(SECRET)
    signed_post(client, "/webhooks/twilio/sms", form)
    signed_post(client, "/webhooks/twilio/sms", form)                   # a duplicate delivery
    signed_post(client, "/webhooks/twilio/sms", twilio_form("x"), signature="forged")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain; version=")
    before = samples(response)
    assert before[("gateway_messages_received_total", (("channel", "sms"), ("provider", "twilio")))] == 2
    assert before[("gateway_reports", (("status", "received"),))] == 2
    assert before[("gateway_queue_depth", (("queue", "reports"),))] == 2
    assert before[("gateway_webhook_messages_total",
                   (("channel", "sms"), ("outcome", "duplicate"), ("provider", "twilio")))] == 1
    assert before[("gateway_webhook_requests_total", (("outcome", "bad_signature"), ("provider", "twilio")))] == 1
    assert before[("gateway_spool_entries", ())] == 0
    assert before[("gateway_dependency_up", (("dependency", "database"),))] == 1
    run_jobs()
    after = samples(client.get("/metrics"))
    assert after[("gateway_outbound_messages", (("kind", "alert"), ("status", "sent")))] >= 1
    assert after[("gateway_queue_depth", (("queue", "reports"),))] == 0


def test_metrics_hold_nothing_personal(client, runtime):
    send_sms(client, SECRET)
    text = client.get("/metrics").get_data(as_text=True)
    for secret in (SECRET, "Boni", REPORTER, REPORTER[4:]):
        assert secret not in text


def test_metrics_answer_while_the_database_is_down_and_show_the_spool(runtime):
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    down = dataclasses.replace(runtime, engine=engine, sessions=make_session_factory(engine))
    client = create_app(runtime=down).test_client()
    send_sms(client, SECRET)
    found = samples(client.get("/metrics"))
    assert found[("gateway_dependency_up", (("dependency", "database"),))] == 0
    assert found[("gateway_spool_entries", ())] == 1
    assert ("gateway_reports", (("status", "received"),)) not in found


def test_a_metrics_token_is_required_when_configured(runtime):
    client = create_app(runtime=dataclasses.replace(
        runtime, config=runtime.config.with_overrides(metrics_token="s3cret"))).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_hot_path_counts_reach_redis_within_a_second_without_a_scrape(runtime):
    import time

    from gateway import metrics

    for _ in range(3):
        metrics.record_soon(runtime.redis, "webhook_messages", provider="twilio", channel="sms", outcome="stored")
    field = "webhook_messages|provider=twilio,channel=sms,outcome=stored"
    deadline = time.monotonic() + 5 * metrics.FLUSH_SECONDS
    while runtime.redis.hget(metrics.EVENTS_KEY, field) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runtime.redis.hget(metrics.EVENTS_KEY, field) == b"3"
