"""Group commit: webhooks of one process share a transaction and each keeps its own outcome.

What a batch must not change: a repeat (even within the batch) creates nothing, a STOP is
seen by the report after it, a coordinator's command stays a command, a held report gets
no queued receipt. What it must not cost: one bad message fails alone, a stuck writer
spools instead of keeping the provider waiting, and nothing is stored twice afterwards.
"""
from __future__ import annotations

import re
import threading

import pytest
from rq.job import Job
from sqlalchemy import event, func, select

from gateway import group_commit
from gateway.domain import InboundSms
from gateway.durable import drain
from gateway.intake import SmsIntake, store_sms
from gateway.spool import Spool
from gateway.store.models import Message, Report, Reporter
from tests.helpers import new_sid, send_sms
from tests.loop.helpers import KENIEBA_PRIMARY, MINING_TEXT

ALICE, BOB, CARO, DAVE = "+22376100001", "+22376100002", "+22376100003", "+22376100004"


def intake(body: str, sender: str, sid: str | None = None, **options) -> SmsIntake:
    provider = options.pop("provider", "twilio")
    return SmsIntake(InboundSms(provider=provider, provider_message_id=sid or new_sid(), sender=sender,
                                recipient="+15005550006", body=body), **options)


def count(runtime, model, *where) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_one_batch_gives_each_message_the_outcome_it_would_get_alone(runtime, forums, clock):
    earlier = intake(MINING_TEXT, DAVE)
    [first_time] = store_sms(runtime, [earlier])
    batch = [
        intake(MINING_TEXT, ALICE, sid="SM-A"),
        intake(MINING_TEXT, ALICE, sid="SM-A"),              # the provider's retry, in the same batch
        intake(MINING_TEXT, DAVE, sid=earlier.inbound.provider_message_id),   # a retry of an earlier one
        intake("STOP", BOB),
        intake(MINING_TEXT, BOB),                            # after STOP: kept, never answered
        intake("AIDE", KENIEBA_PRIMARY),                     # a coordinator: a command, not a report
        intake(MINING_TEXT, CARO, reply_inline=False, hold=True, provider="africastalking"),
        intake(MINING_TEXT, ALICE),                          # the same reporter's second report
        intake(MINING_TEXT, CARO, reply_inline=False, provider="africastalking"),
    ]
    a, a_again, dave_again, stop, silenced, command, held, a_second, queued = store_sms(runtime, batch)

    assert not a.duplicate and re.fullmatch(r"[A-Z0-9]{6}", a.reference) and a.new_report_id
    assert (a_again.duplicate, a_again.reference, a_again.reply) == (True, a.reference, a.reply)
    assert (dave_again.duplicate, dave_again.reference) == (True, first_time.reference)
    assert dave_again.reply == first_time.reply and dave_again.new_report_id is None
    assert stop.kind == "keyword" and stop.reply.startswith("Vous ne recevrez plus")
    assert silenced.reference and silenced.new_report_id and silenced.reply is None
    assert command.kind == "command" and command.reference is None and command.reply
    assert held.reference and held.new_report_id is None and held.reply is None and held.sends == []
    assert a_second.reference not in (a.reference, None) and a_second.reply != a.reply
    assert queued.sends and queued.reply and queued.reference in queued.reply

    batched = [ex.new_report_id for ex in (a, silenced, a_second, queued)]     # one job for the batch's reports
    assert runtime.queues.by_name["reports"].job_ids == [f"report-{first_time.new_report_id}",
                                                         f"reports-{batched[0]}-{batched[-1]}"]
    assert Job.fetch(f"reports-{batched[0]}-{batched[-1]}", connection=runtime.redis).args == (batched,)
    assert count(runtime, Report) == 6          # Dave's first, Alice x2, Bob, Caro x2
    assert count(runtime, Reporter) == 4
    assert count(runtime, Message, Message.direction == "in") == 8
    assert count(runtime, Report, Report.status == "held") == 1
    with runtime.transaction() as session:
        receipts = session.scalars(select(Message.status).where(Message.kind == "receipt")).all()
    assert sorted(receipts) == ["queued"] + ["replied_inline"] * 3     # Dave's first, Alice x2; Caro's


def test_webhooks_waiting_together_are_committed_together(runtime, monkeypatch):
    """The first message holds the writer; the nine that arrive meanwhile go in one transaction."""
    batches, release = [], threading.Event()

    def store_slowly(rt, intakes):
        batches.append(len(intakes))
        if len(batches) == 1:
            release.wait(10)
        return store_sms(rt, intakes)

    monkeypatch.setattr(group_commit, "store_sms", store_slowly)
    commits = []
    event.listen(runtime.engine, "commit", lambda *_: commits.append(1))
    writer = group_commit.GroupCommit(runtime, batch_size=64)
    results = {}
    senders = [threading.Thread(target=lambda n=n: results.__setitem__(n, writer.store(
        intake(f"{MINING_TEXT} {n}", f"+2237620000{n}")))) for n in range(10)]
    senders[0].start()
    _wait_for(lambda: batches == [1])
    for thread in senders[1:]:
        thread.start()
    _wait_for(lambda: writer._waiting.qsize() == 9)
    release.set()
    for thread in senders:
        thread.join(10)

    assert batches == [1, 9] and len(commits) == 2
    assert len({result.reference for result in results.values()}) == 10
    assert count(runtime, Report) == 10 and count(runtime, Message, Message.kind == "receipt") == 10


def test_a_message_the_batch_cannot_store_fails_alone(runtime, monkeypatch):
    def refuse_the_poisoned(rt, intakes):
        if any(i.inbound.body == "poison" for i in intakes):
            raise ValueError("the database refused one row")
        return store_sms(rt, intakes)

    monkeypatch.setattr(group_commit, "store_sms", refuse_the_poisoned)
    writer = group_commit.GroupCommit(runtime, batch_size=64)
    batch = [(intake(body, ALICE), group_commit.Future()) for body in (MINING_TEXT, "poison", MINING_TEXT)]
    writer._commit(batch)

    with pytest.raises(ValueError):
        batch[1][1].result(0)
    assert batch[0][1].result(0).reference and batch[2][1].result(0).reference
    assert count(runtime, Report) == 2


def test_an_unreachable_database_fails_the_whole_batch_so_each_request_spools(runtime, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def unreachable(rt, intakes):
        raise OperationalError("connect", {}, Exception("connection refused"))

    monkeypatch.setattr(group_commit, "store_sms", unreachable)
    writer = group_commit.GroupCommit(runtime, batch_size=64)
    batch = [(intake(MINING_TEXT, sender), group_commit.Future()) for sender in (ALICE, BOB)]
    writer._commit(batch)
    assert all(isinstance(future.exception(0), OperationalError) for _, future in batch)


def test_a_stuck_writer_makes_the_webhook_spool_and_the_late_commit_is_not_doubled(client, runtime, monkeypatch):
    """The provider is answered from the spool; when the writer commits after all, the replay adds nothing."""
    unstuck, committed = threading.Event(), threading.Event()

    def stuck_then_store(rt, intakes):
        unstuck.wait(10)
        try:
            return store_sms(rt, intakes)
        finally:
            committed.set()

    monkeypatch.setattr(group_commit, "store_sms", stuck_then_store)
    monkeypatch.setattr(group_commit, "WAIT_SECONDS", 0.2)
    form, response = send_sms(client, MINING_TEXT)
    assert response.status_code == 200
    reference = re.search(r"Ref ([A-Z0-9]{6})", response.get_data(as_text=True)).group(1)
    assert len(Spool.from_config(runtime.config).names()) == 1

    unstuck.set()
    assert committed.wait(10)
    assert drain(runtime).replayed == 1
    assert count(runtime, Message, Message.provider_message_id == form["MessageSid"]) == 1
    with runtime.transaction() as session:
        assert session.scalars(select(Report.reference)).all() == [reference]


def test_an_idle_writer_ends_and_the_next_message_starts_another(runtime, monkeypatch):
    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.05)
    writer = group_commit.GroupCommit(runtime, batch_size=64)
    writer.store(intake(MINING_TEXT, ALICE))
    first = writer._thread
    first.join(5)
    assert not first.is_alive() and writer._thread is None
    assert writer.store(intake(MINING_TEXT, BOB)).reference
    assert count(runtime, Report) == 2


def test_batch_size_one_stores_in_the_request_thread(config_env, runtime, monkeypatch):
    import dataclasses

    monkeypatch.setattr(group_commit.GroupCommit, "store", lambda *_: pytest.fail("no writer wanted"))
    alone = dataclasses.replace(runtime, config=dataclasses.replace(runtime.config, ingest_batch_size=1))
    assert group_commit.store_one(alone, intake(MINING_TEXT, ALICE)).reference


def test_psycopg_parses_a_full_batch_statement_once_not_on_every_batch(runtime, monkeypatch):
    """Each batch size has its own INSERT text; psycopg used to re-parse it on every batch
    (gateway.store.db.cache_batch_statements): 15 % of a webhook's CPU under load."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's statement parsing")
    from psycopg import _queries

    parsed_uncached, parse = [], _queries._query2pg_nocache
    monkeypatch.setattr(_queries, "_query2pg_nocache", lambda *args: parsed_uncached.append(args[0]) or parse(*args))
    for batch in range(2):
        store_sms(runtime, [intake(MINING_TEXT, f"+2237610{batch}{n:03d}") for n in range(64)])
    assert count(runtime, Report) == 128
    assert parsed_uncached == []


def _wait_for(condition, seconds: float = 10) -> None:
    done = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition not reached")
