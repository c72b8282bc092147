"""From the webhook to alerts: routing, idempotency, the sweeper."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.queues import Queues
from gateway.runtime import redis_from_url
from gateway.store.models import Alert, Coordinator, Message, Report
from gateway.sweeper import sweep
from workers import jobs
from tests.helpers import send_sms

ROUTING = [
    # label, report text, forums alerted, primary numbers alerted
    ("mining conflict in Kéniéba", "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba",
     {"kenieba-mining"}, {"+22376000001"}),
    ("extremists in Mopti reach the Mopti working group", "Des jihadistes ont attaque un village pres de Bandiagara",
     {"mopti-women-youth"}, {"+22376000031"}),
    ("trafficking near Kita reaches the border forum", "Trafic de drogue a Kita, des trafiquants passent la nuit",
     {"southwest-border"}, {"+22376000011"}),
    ("nothing matches: the triage desk", "Manifestation devant la mairie de Kidal",
     {"triage"}, {"+22370000009"}),
    ("unclassifiable text: the triage desk", "bonjour", {"triage"}, {"+22370000009"}),
]


def alerts_for(runtime, reference: str) -> list[tuple[str, str, bool]]:
    with runtime.transaction() as session:
        rows = session.execute(
            select(Alert.forum_id, Coordinator.phone, Coordinator.backup)
            .join(Coordinator, Coordinator.id == Alert.coordinator_id)
            .join(Report, Report.id == Alert.report_id).where(Report.reference == reference))
        return [tuple(row) for row in rows]


def reference_of(runtime) -> str:
    with runtime.transaction() as session:
        return session.scalar(select(Report.reference).order_by(Report.id.desc()))


@pytest.mark.parametrize("label, text, forums_expected, phones", ROUTING, ids=[r[0] for r in ROUTING])
def test_reports_reach_the_forum_that_can_act(client, runtime, forums, run_jobs, label, text, forums_expected, phones):
    send_sms(client, text)
    run_jobs()
    alerts = alerts_for(runtime, reference_of(runtime))
    assert {forum for forum, _, _ in alerts} == forums_expected
    assert {phone for _, phone, backup in alerts if not backup} == phones


def test_urgent_reports_also_reach_backup_coordinators(client, runtime, forums, run_jobs):
    send_sms(client, "Affrontement sur la mine d'or de Kenieba, deux morts et des blesses")
    run_jobs()
    alerts = alerts_for(runtime, reference_of(runtime))
    assert {(phone, backup) for _, phone, backup in alerts} == {("+22376000001", False), ("+22366000002", True)}


def test_a_job_run_twice_creates_no_duplicate_alert(client, runtime, forums, run_jobs):
    send_sms(client, "Conflit foncier entre agriculteurs a Kenieba")
    run_jobs()
    with runtime.transaction() as session:
        report_id = session.scalar(select(Report.id))
    assert jobs.process_report(report_id) == 0
    with runtime.transaction() as session:
        assert len(session.scalars(select(Alert)).all()) == 1
        assert len(session.scalars(select(Message).where(Message.kind == "alert")).all()) == 1


def test_a_duplicate_delivery_yields_one_set_of_alerts(client, runtime, forums, run_jobs):
    from tests.helpers import signed_post, twilio_form
    form = twilio_form("Conflit foncier entre agriculteurs a Kenieba")
    for _ in range(3):
        assert signed_post(client, "/webhooks/twilio/sms", form).status_code == 200
    run_jobs()
    with runtime.transaction() as session:
        assert len(session.scalars(select(Report)).all()) == 1
        assert len(session.scalars(select(Alert)).all()) == 1


def test_alerts_are_sent_and_carry_no_reporter_number(client, runtime, forums, run_jobs):
    send_sms(client, "Orpaillage: bagarre a Kenieba, appelez moi au 76 12 34 56")
    run_jobs()
    with runtime.transaction() as session:
        alert = session.scalar(select(Message).where(Message.kind == "alert"))
    assert alert.status == "sent"
    assert "76 12 34 56" not in alert.body and "+22376123456" not in alert.body
    assert reference_of(runtime) in alert.body


def test_redis_down_at_ingest_then_sweep_processes_the_report(client, runtime, forums, run_jobs):
    live_queues = runtime.queues
    runtime.queues = Queues(redis_from_url("redis://127.0.0.1:1/0"))   # nothing listens there
    _, response = send_sms(client, "Conflit sur un puits a Kenieba")
    assert response.status_code == 200                       # the reporter still gets a receipt
    runtime.queues = live_queues
    run_jobs()
    with runtime.transaction() as session:
        assert session.scalar(select(Report.status)) == "received"   # waited in the database
    result = sweep(runtime, grace_seconds=0)
    assert result.reports == 1 and result.enqueued == 1
    run_jobs()
    with runtime.transaction() as session:
        assert session.scalar(select(Report.status)) == "routed"
        assert len(session.scalars(select(Alert)).all()) == 1


def test_sweep_leaves_reports_whose_job_is_still_queued(client, runtime, forums):
    send_sms(client, "Conflit sur un puits a Kenieba")
    assert runtime.queues.depth()["reports"] == 1
    sweep(runtime, grace_seconds=0)
    assert runtime.queues.depth()["reports"] == 1
