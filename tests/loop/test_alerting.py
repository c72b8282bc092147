"""Alerts that land: several forums, triage, escalation, corroboration, provider throttling and failures."""
from __future__ import annotations

import pytest
import yaml
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from gateway.domain import DeliveryStatus
from gateway.durable import receive_delivery_status_durably
from gateway.forums_file import parse_forums_file
from gateway.store.forums import load_forums
from gateway.store.models import Alert, Message, Report
from gateway.sweeper import sweep
from tests.conftest import DEMO_FORUMS
from tests.fakes.provider_server import twilio_error
from tests.loop.helpers import (KENIEBA_BACKUP, KENIEBA_PRIMARY, MINING_TEXT, TRIAGE_DESK,
                                messages, report, report_row, sms, texts_to)
from workers import sending
from workers.escalation import escalate_overdue
from workers.pipeline import is_update_milestone

NATIONAL_WATCH = "+22376000051"


def test_a_report_reaches_every_forum_that_subscribes(client, runtime, run_jobs, fake_twilio):
    data = yaml.safe_load(DEMO_FORUMS.read_text(encoding="utf-8"))
    data["forums"].append({"id": "national-mining-watch", "name": "Observatoire national des mines",
                           "categories": ["resource_conflict"], "areas": [], "language": "en",
                           "coordinators": [{"name": "Watch", "phone": NATIONAL_WATCH}]})
    with runtime.transaction() as session:
        load_forums(session, parse_forums_file(yaml.safe_dump(data, allow_unicode=True)))
    reference = report(client, MINING_TEXT)
    run_jobs()
    assert texts_to(fake_twilio, KENIEBA_PRIMARY)[0].startswith(f"ALERTE {reference} Conflit terre/eau/mines")
    assert texts_to(fake_twilio, NATIONAL_WATCH)[0].startswith(f"ALERT {reference} Land/water/mining conflict")
    assert texts_to(fake_twilio, TRIAGE_DESK) == []
    assert sms(client, f"OK {reference}", sender=NATIONAL_WATCH).startswith(f"{reference} acknowledged")
    with runtime.transaction() as session:
        statuses = dict(session.execute(select(Alert.forum_id, Alert.status)).all())
    assert statuses == {"kenieba-mining": "pending", "national-mining-watch": "acknowledged"}


def test_what_no_forum_takes_goes_to_the_triage_desk(client, runtime, forums, run_jobs, fake_twilio):
    reference = report(client, "Manifestation devant la mairie de Kidal")
    run_jobs()
    assert [text[:13] for text in texts_to(fake_twilio, TRIAGE_DESK)] == [f"ALERTE {reference}"]
    assert report_row(runtime, reference).status == "triage"


def test_an_alert_not_acknowledged_in_time_escalates_once(client, runtime, forums, run_jobs, fake_twilio, clock):
    reference = report(client, MINING_TEXT)                 # Kéniéba forum: ack within 24 h
    run_jobs()
    clock.advance(hours=23, minutes=59)
    assert escalate_overdue(runtime).alerts_escalated == 0
    clock.advance(minutes=2)
    assert escalate_overdue(runtime).alerts_escalated == 1
    run_jobs()
    for number in (KENIEBA_BACKUP, TRIAGE_DESK):
        [text] = texts_to(fake_twilio, number)
        assert text.startswith("SANS REPONSE 24h (Forum de Kéniéba sur les mines). ALERTE " + reference)
    clock.advance(hours=48)
    assert escalate_overdue(runtime).alerts_escalated == 0   # once
    run_jobs()
    assert len(fake_twilio.requests) == 3
    assert sms(client, f"OK {reference}", sender=TRIAGE_DESK).startswith(f"{reference} pris en charge")


def test_an_acknowledged_alert_does_not_escalate(client, runtime, forums, run_jobs, fake_twilio, clock):
    reference = report(client, MINING_TEXT)
    run_jobs()
    sms(client, f"OK {reference}", sender=KENIEBA_PRIMARY)
    clock.advance(hours=25)
    assert escalate_overdue(runtime).alerts_escalated == 0


def test_the_periodic_tick_runs_escalation_as_a_job(client, runtime, forums, run_jobs, fake_twilio, clock):
    report(client, MINING_TEXT)
    run_jobs()
    clock.advance(hours=25)
    sweep(runtime)                                           # every worker tick sweeps
    run_jobs()
    assert len(texts_to(fake_twilio, TRIAGE_DESK)) == 1


def test_corroborating_reports_become_one_incident_with_short_updates(client, runtime, forums, run_jobs,
                                                                      fake_twilio, clock):
    first = report(client, MINING_TEXT)
    run_jobs()
    clock.advance(hours=2)
    second = report(client, "Encore une bagarre sur le site d'orpaillage de Kenieba", sender="+22365000101")
    clock.advance(hours=3)
    third = report(client, "Conflit sur le site d'orpaillage, Kenieba", sender="+22365000102")
    run_jobs()
    sent = texts_to(fake_twilio, KENIEBA_PRIMARY)
    assert len(sent) == 3 and sent[0].startswith(f"ALERTE {first}")
    assert sent[1].startswith(f"MAJ {first}: 2 signalements Conflit terre/eau/mines - Ken")
    assert sent[1].endswith(f". Nouveau: {second}. INFO {second}") and len(sent[1]) <= 160
    assert sent[2].startswith(f"MAJ {first}: 3 signalements") and third in sent[2]
    assert "Signalements: 3." in sms(client, f"INFO {third}", sender=KENIEBA_PRIMARY)
    sms(client, f"OK {third}", sender=KENIEBA_PRIMARY)       # acknowledges the whole incident
    assert {report_row(runtime, ref).status for ref in (first, second, third)} == {"acknowledged"}
    clock.advance(hours=20)                                  # 25 h after the first: a new incident
    fourth = report(client, MINING_TEXT, sender="+22365000103")
    run_jobs()
    assert texts_to(fake_twilio, KENIEBA_PRIMARY)[-1].startswith(f"ALERTE {fourth}")


def test_a_flood_on_one_incident_texts_updates_at_milestones_only(client, runtime, forums, run_jobs, fake_twilio):
    """A radio call-in: 12 reports of one fight at the Kéniéba gold site. The coordinator gets the
    alert, then updates at 2, 3, 5 and 10 reports — not 11 SMS — and may act on any report."""
    refs = [report(client, MINING_TEXT, sender=f"+223650002{n:02d}") for n in range(12)]
    run_jobs()
    sent = texts_to(fake_twilio, KENIEBA_PRIMARY)
    assert sent[0].startswith(f"ALERTE {refs[0]}")
    assert [text.split()[2] for text in sent[1:]] == ["2", "3", "5", "10"]
    assert all(text.startswith(f"MAJ {refs[0]}: ") for text in sent[1:])
    assert "Signalements: 12." in sms(client, f"INFO {refs[11]}", sender=KENIEBA_PRIMARY)
    sms(client, f"OK {refs[6]}", sender=KENIEBA_PRIMARY)       # a report that was never texted
    assert {report_row(runtime, ref).status for ref in refs} == {"acknowledged"}


@pytest.mark.parametrize("count, texted", [(2, True), (3, True), (4, False), (5, True), (6, False), (9, False),
                                           (10, True), (11, False), (20, True), (30, False), (50, True),
                                           (100, True), (150, False), (200, True), (500, True), (1000, True)])
def test_update_milestones(count, texted):
    assert is_update_milestone(count) is texted


def test_other_categories_or_places_are_other_incidents(client, runtime, forums, run_jobs, fake_twilio):
    report(client, MINING_TEXT)
    report(client, "Trafic de drogue a Kenieba, des trafiquants", sender="+22365000101")   # other category
    report(client, "Bagarre sur le site d'orpaillage de Kita", sender="+22365000102")      # other cercle
    run_jobs()
    with runtime.transaction() as session:
        incidents = session.scalars(select(Report.incident_id)).all()
    assert len(set(incidents)) == 3


def test_throttled_by_the_provider_then_sent(client, runtime, forums, run_jobs, fake_twilio):
    fake_twilio.script = [twilio_error(429, 20429)]
    report(client, MINING_TEXT)
    run_jobs()
    [alert] = messages(runtime, kind="alert")
    assert (alert.status, alert.attempts, alert.failure_reason) == ("queued", 2, None)   # Twilio's word
    assert len(texts_to(fake_twilio, KENIEBA_PRIMARY)) == 2


def test_a_permanent_failure_is_recorded_with_its_reason(client, runtime, forums, run_jobs, fake_twilio):
    fake_twilio.script = [twilio_error(400, 21211)]
    report(client, MINING_TEXT)
    run_jobs()
    [alert] = messages(runtime, kind="alert")
    assert (alert.status, alert.error_code, alert.attempts) == ("failed", "21211", 1)
    assert alert.failure_reason == "twilio HTTP 400 (code 21211)"


def test_over_our_own_rate_limit_a_send_is_put_off_not_lost(client, runtime, forums, run_jobs, fake_twilio):
    runtime.config = runtime.config.with_overrides(rate_limit_segments_per_second=0.1)   # 10 s per segment
    runtime._throttle = None
    reference = report(client, MINING_TEXT)
    report(client, "Conflit foncier entre agriculteurs a Kita", sender="+22365000101")   # border forum
    run_jobs()
    assert len(fake_twilio.requests) == 1                    # the first alert used the one-second burst
    put_off = [m for m in messages(runtime, kind="alert") if m.status == "queued" and m.attempts == 0]
    assert len(put_off) == 1 and reference not in put_off[0].body
    scheduled = ScheduledJobRegistry(queue=runtime.queues.by_name["sends"]).get_job_ids()
    assert [job_id.rsplit("-", 1)[0] for job_id in scheduled] == [f"send-{put_off[0].id}-1"]


def test_delivery_reports_from_any_provider_are_recorded_with_their_reason(client, runtime, forums, run_jobs):
    report(client, MINING_TEXT)
    run_jobs()
    [alert] = messages(runtime, kind="alert")
    status = DeliveryStatus(provider="twilio", provider_message_id=alert.provider_message_id, status="failed",
                            extra={"failure_reason": "UserInBlackList"})
    assert receive_delivery_status_durably(runtime, status)
    assert not receive_delivery_status_durably(runtime, DeliveryStatus("twilio", "SM-unknown", "delivered"))
    with runtime.transaction() as session:
        message = session.get(Message, alert.id)
    assert (message.status, message.failure_reason) == ("failed", "UserInBlackList")


def test_a_message_the_provider_accepted_is_never_sent_again(client, runtime, forums, run_jobs, fake_twilio):
    report(client, MINING_TEXT)
    run_jobs()
    [alert] = messages(runtime, kind="alert")
    assert alert.status == "queued" and alert.provider_message_id   # Twilio's word: it has it
    assert sending.send_message(runtime, alert.id) == "skipped"
    assert sweep(runtime, grace_seconds=0).sends == 0
    assert len(fake_twilio.requests) == 1


def test_alerts_of_a_worker_that_died_before_sending_are_swept_back(client, runtime, forums, run_jobs,
                                                                   fake_twilio, clock):
    from workers import pipeline
    report(client, MINING_TEXT)
    with runtime.transaction() as session:
        report_id = session.scalar(select(Report.id))
    pipeline.process_reports(runtime, report_id)               # committed, claimed... and the worker dies
    assert [m.status for m in messages(runtime, kind="alert")] == ["sending"]
    clock.advance(minutes=4)
    assert sweep(runtime).stuck_sends == 0                     # it might still be sending
    clock.advance(minutes=2)
    assert sweep(runtime).stuck_sends == 1
    run_jobs()                                                 # Twilio is asked first: it has nothing
    assert len(texts_to(fake_twilio, KENIEBA_PRIMARY)) == 1
