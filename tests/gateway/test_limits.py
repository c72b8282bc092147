"""Rate limits: a flood from one number is held for staff, never dropped; probers get 429."""
from __future__ import annotations

import dataclasses

import pytest
from redis import Redis
from sqlalchemy import select

from gateway import create_app, group_commit, limits
from gateway.durable import drain
from gateway.domain import InboundSms
from gateway.intake import SmsIntake
from gateway.queues import Queues
from gateway.store.models import Report
from tests.gateway.test_spool import unreachable
from tests.helpers import new_sid, send_sms, signed_post, twilio_form


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


def test_one_round_trip_counts_a_whole_batch_in_order(runtime):
    subjects = ["a", "b", "a", "a", "b"]
    assert limits.hit_many(runtime.redis, "test", subjects, (2, 600), now=1000.0) == [
        False, False, False, True, False]
    assert limits.hit(runtime.redis, "test", "b", (2, 600), now=1000.0) is True     # the same window
    assert limits.hit(runtime.redis, "test", "b", (2, 600), now=1600.0) is False    # the next one


def test_messages_waiting_together_are_counted_together(runtime):
    """The writer counts a batch's senders in one round trip: the third message of one number is held."""
    sender = "+22376100077"
    batch = [(SmsIntake(InboundSms("twilio", new_sid(), sender, "+15005550006", f"message {n}"), hold=None),
              group_commit.Future()) for n in range(3)]
    group_commit.GroupCommit(runtime, batch_size=64)._commit(batch)
    assert [future.result(0).hold for _, future in batch] == [False, False, True]
    assert statuses(runtime) == ["received", "received", "held"]


def test_a_message_spooled_in_an_outage_is_counted_once_not_again_on_replay(runtime):
    down = create_app(runtime=unreachable(runtime)).test_client()
    assert [send_sms(down, f"message {n}")[1].status_code for n in range(3)] == [200] * 3
    create_app(runtime=runtime)                                       # the database is back
    assert drain(runtime).replayed == 3
    assert statuses(runtime) == ["received", "received", "held"]
    keys = runtime.redis.keys(f"{limits.PREFIX}:number:*")
    assert [int(runtime.redis.get(key)) for key in keys] == [3]     # counted when first received, not on replay


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
