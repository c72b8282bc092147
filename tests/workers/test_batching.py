"""Report jobs in batches: one job processes the reports waiting with its own, each exactly once.

The webhook still enqueues one job per report; the job that gets there first takes its own
report and the others waiting, and their jobs become redundant.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from rq import Queue
from rq.job import Job
from sqlalchemy import event, func, select, update

from gateway.queues import report_job_id
from gateway.store.models import Alert, Coordinator, Incident, Message, Report
from tests.helpers import send_sms
from tests.workers.test_pipeline import ROUTING
from workers import jobs, pipeline

KENIEBA_PRIMARY = "+22376000001"
MINING = "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba"


def report_ids(runtime) -> list[int]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Report.id).order_by(Report.id)))


def alerted(runtime) -> dict[int, list[tuple[str, str, str]]]:
    """Per report id: (forum, coordinator phone, message kind) of each alert, in message order."""
    with runtime.transaction() as session:
        rows = session.execute(
            select(Alert.report_id, Alert.forum_id, Coordinator.phone, Message.kind)
            .join(Coordinator, Coordinator.id == Alert.coordinator_id)
            .join(Message, Message.id == Alert.message_id).order_by(Message.id))
        result: dict[int, list] = {}
        for report_id, forum_id, phone, kind in rows:
            result.setdefault(report_id, []).append((forum_id, phone, kind))
        return result


def statuses(runtime) -> list[str]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Report.status).order_by(Report.id)))


def queued_report_jobs(runtime) -> list[str]:
    return [job_id.decode() for job_id in runtime.redis.lrange(Queue("reports", connection=runtime.redis).key, 0, -1)]


def test_one_job_processes_the_waiting_reports_each_routed_as_alone(client, runtime, forums):
    for index, (_, text, _, _) in enumerate(ROUTING):
        send_sms(client, text, sender=f"+2236500{index:04d}")
    ids = report_ids(runtime)
    assert jobs.process_report(ids[2]) == len(ROUTING)          # one alert each (no urgent report here)
    assert set(statuses(runtime)) <= {"routed", "triage"}
    alerts = alerted(runtime)
    for report_id, (label, _, forums_expected, phones) in zip(ids, ROUTING):
        assert {forum for forum, _, _ in alerts[report_id]} == forums_expected, label
        assert {phone for _, phone, _ in alerts[report_id]} == phones, label
    with runtime.transaction() as session:
        assert set(session.scalars(select(Message.status).where(Message.kind == "alert"))) == {"sent"}


def test_the_batch_drops_the_other_reports_queued_jobs(client, runtime, forums):
    for index in range(4):
        send_sms(client, MINING, sender=f"+2236500{index:04d}")
    ids = report_ids(runtime)
    assert queued_report_jobs(runtime) == [report_job_id(i) for i in ids]
    jobs.process_report(ids[0])          # called directly: its own job is still queued, as are the others
    assert queued_report_jobs(runtime) == [report_job_id(ids[0])]
    assert not any(Job.exists(report_job_id(i), connection=runtime.redis) for i in ids[1:])


def test_a_job_another_worker_already_dequeued_finds_its_report_processed(client, runtime, forums):
    for index in range(3):
        send_sms(client, MINING, sender=f"+2236500{index:04d}")
    first, second, third = report_ids(runtime)
    queue_key = Queue("reports", connection=runtime.redis).key
    runtime.redis.lrem(queue_key, 1, report_job_id(second))     # as a worker's dequeue does, just before the batch
    jobs.process_report(first)
    assert Job.exists(report_job_id(second), connection=runtime.redis)        # its hash stays: it is running
    assert not Job.exists(report_job_id(third), connection=runtime.redis)
    before = alerted(runtime)
    assert Job.fetch(report_job_id(second), connection=runtime.redis).perform() == 0
    assert alerted(runtime) == before and all(len(alerts) == 1 for alerts in before.values())


def test_the_batch_size_bounds_a_job_and_one_means_one_at_a_time(client, runtime, forums):
    for index in range(5):
        send_sms(client, MINING, sender=f"+2236500{index:04d}")
    ids = report_ids(runtime)
    assert pipeline.process_reports(runtime, ids[3], batch_size=3).report_ids == [ids[0], ids[1], ids[3]]
    assert pipeline.process_reports(runtime, ids[4], batch_size=1).report_ids == [ids[4]]
    assert pipeline.process_reports(runtime, ids[4], batch_size=1).report_ids == []
    assert statuses(runtime) == ["routed", "routed", "received", "routed", "routed"]


def test_two_reports_of_one_incident_in_a_batch_give_an_alert_then_an_update(client, runtime, forums, clock):
    send_sms(client, MINING, sender="+22365000001")
    clock.advance(hours=1)
    send_sms(client, "Encore une bagarre sur le site d'orpaillage de Kenieba", sender="+22365000002")
    first, second = report_ids(runtime)
    assert pipeline.process_reports(runtime, first, batch_size=10).report_ids == [first, second]
    alerts = alerted(runtime)
    assert alerts[first] == [("kenieba-mining", KENIEBA_PRIMARY, "alert")]
    assert alerts[second] == [("kenieba-mining", KENIEBA_PRIMARY, "update")]
    with runtime.transaction() as session:
        [incident] = session.scalars(select(Incident)).all()
        reference = session.scalar(select(Report.reference).where(Report.id == first))
        update_body = session.scalar(select(Message.body).where(Message.kind == "update"))
        assert set(session.scalars(select(Report.incident_id))) == {incident.id}
    assert incident.report_count == 2 and incident.first_reference == reference
    assert update_body.startswith(f"MAJ {reference}: 2 signalements")


def test_a_bad_report_fails_only_its_own_job_and_the_others_are_processed(client, runtime, forums, run_jobs,
                                                                         monkeypatch, caplog):
    monkeypatch.setattr(jobs, "_FAILED_ALONE", set())       # what this worker process learns, for this test
    for index in range(4):
        send_sms(client, MINING, sender=f"+2236500{index:04d}")
    ids = report_ids(runtime)
    bad = ids[1]
    with runtime.transaction() as session:       # stored details a processing run cannot read
        session.execute(update(Report).where(Report.id == bad).values(details=["not", "a", "mapping"]))
    run_jobs()
    assert statuses(runtime) == ["routed", "received", "routed", "routed"]
    alerts = alerted(runtime)
    assert sorted(alerts) == [ids[0], ids[2], ids[3]]
    assert all(len(report_alerts) == 1 for report_alerts in alerts.values())
    failed = Queue("reports", connection=runtime.redis).failed_job_registry.get_job_ids()
    assert failed == [report_job_id(bad)]
    caplog.clear()                       # later batches of this worker leave the bad report out
    send_sms(client, MINING, sender="+22365009999")
    run_jobs()
    assert statuses(runtime) == ["routed", "received", "routed", "routed", "routed"]
    assert "report batch failed" not in caplog.text


@contextmanager
def counting_statements(engine):
    """How many SQL statements are sent (an executemany counts once: one round trip)."""
    count = Counter()

    def before(_conn, _cursor, statement, _parameters, _context, _executemany):
        count["statements"] += 1
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_a_batch_costs_the_same_statements_as_one_report(client, runtime, forums, clock):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLAlchemy inserts row by row on SQLite for an ordered INSERT ... RETURNING")
    texts = [text for _, text, _, _ in ROUTING] + [MINING] * 3       # with corroboration updates
    for index, text in enumerate(texts + texts):
        send_sms(client, text, sender=f"+2236500{index:04d}")
        clock.advance(minutes=1)
    ids = report_ids(runtime)
    with counting_statements(runtime.engine) as one:
        pipeline.process_reports(runtime, ids[0])
    with counting_statements(runtime.engine) as many:
        batch = pipeline.process_reports(runtime, ids[1], batch_size=len(ids))
    assert len(batch.report_ids) == len(ids) - 1
    print(f"statements: {one['statements']} for one report, {many['statements']} for {len(batch.report_ids)}")
    assert many["statements"] <= one["statements"] + 2      # the incidents' earlier alerts, the updates


def test_two_workers_batching_at_once_never_process_a_report_twice(client, runtime, forums, clock):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED and advisory locks: PostgreSQL only (SQLite has one writer)")
    for index in range(40):               # one incident, and other reports around it
        text = MINING if index % 2 else ROUTING[1 + index % (len(ROUTING) - 1)][1]
        send_sms(client, text, sender=f"+2236500{index:04d}")
    ids = report_ids(runtime)
    start = threading.Barrier(2)
    batches: dict[str, list[list[int]]] = {"up": [], "down": []}
    errors = []

    def worker(name: str, order: list[int]) -> None:
        start.wait()
        try:
            for report_id in order:
                done = pipeline.process_reports(runtime, report_id, batch_size=4).report_ids
                if done:
                    batches[name].append(done)
        except Exception as error:       # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker, args=("up", ids)),
               threading.Thread(target=worker, args=("down", ids[::-1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    processed = [report_id for name in batches for batch in batches[name] for report_id in batch]
    assert sorted(processed) == ids                           # each report in exactly one batch
    assert batches["up"] and batches["down"]                  # both workers did some
    assert set(statuses(runtime)) <= {"routed", "triage"}
    alerts = alerted(runtime)
    mining = [report_id for index, report_id in enumerate(ids) if index % 2]
    with runtime.transaction() as session:
        [(incident_id, count)] = session.execute(select(Incident.id, Incident.report_count).where(
            Incident.category == "resource_conflict")).all()
        linked = session.scalar(select(func.count()).select_from(Report).where(Report.incident_id == incident_id))
    assert count == linked == len(mining)                    # one incident, every report counted once
    kinds = Counter(kind for report_id in mining for _, phone, kind in alerts.get(report_id, ())
                    if phone == KENIEBA_PRIMARY)
    assert kinds == {"alert": 1, "update": sum(map(pipeline.is_update_milestone, range(2, len(mining) + 1)))}


def test_a_long_hand_off_renews_its_claims_and_skips_one_taken_over(client, runtime, forums, clock):
    from gateway.store.outbound import claim_stuck
    from workers import sending

    for index in range(3):
        send_sms(client, ROUTING[1 + index][1], sender=f"+2236500{index:04d}")
    batch = pipeline.process_reports(runtime, report_ids(runtime)[0], batch_size=10)
    first, *others = [task.message_id for task in batch.tasks]
    clock.advance(seconds=runtime.config.send_stuck_seconds + 1)      # the hand-off was slow to start
    with runtime.transaction() as session:                            # the sweeper's run takes one over
        assert claim_stuck(session, first, clock(), runtime.config.send_stuck_seconds) is not None
    assert sending.send_claimed(runtime, batch.tasks) == {"taken_over": 1, "sent": len(others)}
    with runtime.transaction() as session:
        rows = session.execute(select(Message.id, Message.status, Message.updated_at)
                               .where(Message.id.in_([first, *others])).order_by(Message.id)).all()
    assert [(row.id, row.status) for row in rows] == [(first, "sending")] + [(i, "sent") for i in others]


def store_together(runtime, count: int, first_sender: int = 0) -> list[int]:
    """Reports stored in one webhook transaction, as group commit does under load; their ids."""
    from gateway.domain import InboundSms
    from gateway.intake import SmsIntake, store_sms
    from tests.helpers import new_sid

    exchanges = store_sms(runtime, [SmsIntake(InboundSms("twilio", new_sid(), f"+2236510{first_sender + n:04d}",
                                                         "+15005550006", MINING)) for n in range(count)])
    return [exchange.new_report_id for exchange in exchanges]


def test_reports_stored_together_get_one_job_which_also_takes_the_others_waiting(client, runtime, forums):
    send_sms(client, MINING, sender="+22365000001")              # waiting before, with its own job
    [earlier] = report_ids(runtime)
    together = store_together(runtime, 5)
    batch_job = f"reports-{together[0]}-{together[-1]}"
    assert queued_report_jobs(runtime) == [report_job_id(earlier), batch_job]
    job = Job.fetch(batch_job, connection=runtime.redis)
    assert job.perform() == 4          # one incident of six reports: an alert, then updates at 2, 3 and 5
    assert statuses(runtime) == ["routed"] * 6
    assert queued_report_jobs(runtime) == [batch_job]            # the earlier report's job was dropped
    assert job.perform() == 0                                    # run again: nothing left to do


@pytest.mark.parametrize("config_overrides", [{"report_batch_size": 2}])
def test_a_webhook_batch_larger_than_the_report_batch_size_is_split(client, runtime, forums, config_overrides):
    together = store_together(runtime, 5)
    assert queued_report_jobs(runtime) == [f"reports-{together[0]}-{together[1]}",
                                           f"reports-{together[2]}-{together[3]}", report_job_id(together[4])]
    Job.fetch(f"reports-{together[2]}-{together[3]}", connection=runtime.redis).perform()
    assert statuses(runtime) == ["received", "received", "routed", "routed", "received"]   # its own, no more


def test_a_bad_report_in_a_webhook_batch_fails_alone(runtime, forums, run_jobs, monkeypatch):
    monkeypatch.setattr(jobs, "_FAILED_ALONE", set())
    together = store_together(runtime, 3)
    with runtime.transaction() as session:       # stored details a processing run cannot read
        session.execute(update(Report).where(Report.id == together[1]).values(details=["not", "a", "mapping"]))
    run_jobs()
    assert statuses(runtime) == ["routed", "received", "routed"]
    failed = Queue("reports", connection=runtime.redis).failed_job_registry.get_job_ids()
    assert failed == [f"reports-{together[0]}-{together[-1]}"]
