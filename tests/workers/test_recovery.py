"""A worker killed mid-job: its job runs again, and no alert is created or sent twice."""
from __future__ import annotations

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select, update

from gateway.store.models import Alert, Message, Report
from gateway.sweeper import sweep
from tests.fakes.provider_server import FakeProviderServer, TwilioLedger
from tests.helpers import send_sms

KENIEBA = "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba"


def start_and_die(runtime, queue_name: str) -> SimpleWorker:
    """A worker takes the next job and is SIGKILLed before finishing it: RQ still calls it started."""
    queue = runtime.queues.by_name[queue_name]
    worker = SimpleWorker([queue], connection=runtime.redis)
    job, _ = Queue.dequeue_any([queue], timeout=None, connection=runtime.redis)
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    return worker


def alerts_and_sends(runtime) -> tuple[int, list[tuple[str, int]]]:
    with runtime.transaction() as session:
        alerts = session.scalar(select(func.count()).select_from(Alert))
        sends = session.execute(select(Message.status, Message.attempts).where(Message.kind == "alert")).all()
    return alerts, [tuple(row) for row in sends]


def test_a_report_job_whose_worker_died_runs_again_once(client, runtime, forums, run_jobs):
    send_sms(client, KENIEBA)
    start_and_die(runtime, "reports")
    assert sweep(runtime, grace_seconds=0).abandoned_jobs == 1
    run_jobs()
    with runtime.transaction() as session:
        assert session.scalar(select(Report.status)) == "routed"
    assert alerts_and_sends(runtime) == (1, [("sent", 1)])
    assert sweep(runtime, grace_seconds=0).enqueued == 0          # nothing left to do


def test_a_job_whose_worker_still_beats_is_left_alone(client, runtime, forums, run_jobs):
    send_sms(client, KENIEBA)
    worker = start_and_die(runtime, "reports")
    runtime.queues.beat(worker.name, ttl_seconds=30)
    assert sweep(runtime, grace_seconds=0).abandoned_jobs == 0


def leave_alert_sending(runtime, clock, client) -> int:
    """The alert was claimed ('sending') and its worker died before recording the outcome."""
    from workers.pipeline import process_reports

    send_sms(client, KENIEBA)
    with runtime.transaction() as session:
        report_id = session.scalar(select(Report.id))
    [task] = process_reports(runtime, report_id).tasks       # alerts are created claimed ('sending', attempt 1)
    message_id = task.message_id
    clock.advance(seconds=runtime.config.send_stuck_seconds + 1)
    return message_id


def test_a_send_left_sending_is_sent_again_when_the_provider_cannot_tell(client, runtime, forums, run_jobs, clock):
    leave_alert_sending(runtime, clock, client)
    assert sweep(runtime).stuck_sends == 1
    run_jobs()
    assert alerts_and_sends(runtime) == (1, [("sent", 2)])


@pytest.fixture
def ledger(clock):
    return TwilioLedger(clock)


@pytest.fixture
def fake_twilio(ledger):
    with FakeProviderServer(ledger) as server:
        yield server


@pytest.fixture
def config_env(config_env, request):
    if "fake_twilio" not in request.fixturenames:
        return config_env
    server = request.getfixturevalue("fake_twilio")
    return dict(config_env, SMS_PROVIDER="twilio", TWILIO_API_BASE=server.base_url)


@pytest.mark.parametrize("provider_took_it, posts", [(True, 1), (False, 2)])
def test_twilio_is_asked_before_a_stuck_send_is_sent_again(client, runtime, forums, run_jobs, clock,
                                                           fake_twilio, ledger, provider_took_it, posts):
    send_sms(client, KENIEBA)
    run_jobs()                                                    # sent once, through the fake Twilio
    with runtime.transaction() as session:
        session.execute(update(Message).where(Message.kind == "alert").values(status="sending"))
    if not provider_took_it:
        ledger.created.clear()
    clock.advance(seconds=runtime.config.send_stuck_seconds + 1)
    sweep(runtime)
    run_jobs()
    assert sum(r.method == "POST" for r in fake_twilio.requests) == posts
    with runtime.transaction() as session:
        assert session.scalar(select(Message.status).where(Message.kind == "alert")) == "queued"   # Twilio's word


def test_held_reports_are_not_swept(client, runtime):
    send_sms(client, KENIEBA)
    with runtime.transaction() as session:
        session.execute(update(Report).values(status="held"))
    assert sweep(runtime, grace_seconds=0).reports == 0


def test_a_message_the_provider_queued_is_never_swept_into_a_second_send(client, runtime, forums, run_jobs,
                                                                         clock, fake_twilio):
    """Twilio answers 'queued'; if its status callbacks are late or lost, the sweeper must not resend."""
    send_sms(client, KENIEBA)
    run_jobs()
    clock.advance(hours=1)
    assert sweep(runtime).sends == 0
    run_jobs()
    assert sum(r.method == "POST" for r in fake_twilio.requests) == 1
