"""Rate limits: a flood from one number is held for staff, never dropped; probers get 429."""
from __future__ import annotations

import dataclasses

import pytest
from redis import Redis
from sqlalchemy import select

from gateway import create_app
from gateway.queues import Queues
from gateway.store.models import Report
from tests.helpers import send_sms, signed_post, twilio_form


@pytest.fixture
def config_overrides(config_overrides):
    return dict(config_overrides, rate_limit_per_number=(2, 600), rate_limit_auth_failures_per_ip=(2, 60))


def statuses(runtime) -> list[str]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Report.status).order_by(Report.id)))


def test_over_the_per_number_limit_reports_are_stored_with_a_receipt_but_held(client, runtime):
    responses = [send_sms(client, f"message {n}")[1] for n in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all("Ref " in r.get_data(as_text=True) for r in responses)     # a person in danger hears back
    assert statuses(runtime) == ["received", "received", "held"]
    assert runtime.queues.depth()["reports"] == 2                          # held: no alert on its own
    send_sms(client, "another phone", sender="+22366554433")
    assert statuses(runtime)[-1] == "received"


def test_a_held_report_is_released_by_staff_and_then_processed(client, runtime, forums, run_jobs):
    from gateway.store.reports import release_held

    for n in range(3):
        send_sms(client, f"Bagarre entre orpailleurs a Kenieba {n}")
    with runtime.transaction() as session:
        held = session.scalar(select(Report).where(Report.status == "held"))
        assert release_held(session, held.reference, runtime.now()) == held.id
    runtime.queues.enqueue_report(held.id)
    run_jobs()
    assert "held" not in statuses(runtime) and "received" not in statuses(runtime)


def test_an_address_that_keeps_failing_authentication_gets_429_and_others_do_not(client, runtime):
    bad = [signed_post(client, "/webhooks/twilio/sms", twilio_form("x"), signature="forged") for _ in range(3)]
    assert [r.status_code for r in bad] == [403, 403, 429]
    assert int(bad[-1].headers["Retry-After"]) >= 1
    other = client.post("/webhooks/twilio/sms", data=twilio_form("x"), environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 403
    assert statuses(runtime) == []


def test_limits_fail_open_when_redis_is_down(runtime):
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    down = dataclasses.replace(runtime, redis=dead, queues=Queues(dead))
    client = create_app(runtime=down).test_client()
    responses = [send_sms(client, f"message {n}")[1] for n in range(4)]
    assert [r.status_code for r in responses] == [200] * 4
    assert statuses(runtime) == ["received"] * 4                  # the sweeper will enqueue them
    assert signed_post(client, "/webhooks/twilio/sms", twilio_form("x"), signature="forged").status_code == 403
