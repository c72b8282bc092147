"""The ingest hot path in the store: upserts and ON CONFLICT instead of savepoints.

What the webhook tests cannot easily reach: a duplicate racing the first delivery, a
reference code collision, a purged reporter writing again, the idle-connection ping.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from gateway.store import db as store_db
from gateway.store import ingest
from gateway.store.ingest import NewReport, ReportDraft, record_report, record_reports
from gateway.store.models import Message, Report, Reporter
from gateway.store.reporters import get_or_create_reporter


def new_report(sid: str = "SM1", body: str = "Vol de betail a Nara") -> NewReport:
    return NewReport(provider="twilio", provider_message_id=sid, channel="sms", body=body)


def ingest_one(runtime, clock, sid: str = "SM1", pseudonym: str = "p1"):
    with runtime.transaction() as session:
        reporter = get_or_create_reporter(session, pseudonym=pseudonym, number_encrypted="enc",
                                          language="fr", now=clock())
        return record_report(session, reporter, new_report(sid), clock())


def counts(runtime) -> tuple[int, int, int]:
    with runtime.transaction() as session:
        return tuple(session.scalar(select(func.count()).select_from(model)) for model in (Reporter, Message, Report))


def test_a_repeated_delivery_returns_the_first_reference_and_leaves_no_row(runtime, clock):
    first = ingest_one(runtime, clock)
    again = ingest_one(runtime, clock)
    assert (again.report_id, again.reference, again.duplicate) == (first.report_id, first.reference, True)
    assert counts(runtime) == (1, 1, 1)


def test_a_duplicate_racing_the_first_delivery_waits_for_it_and_creates_nothing(runtime, clock):
    """The second insert blocks on the first's uncommitted row, then finds it committed."""
    results = {}
    with runtime.transaction() as session:
        reporter = get_or_create_reporter(session, pseudonym="p1", number_encrypted="enc", language="fr", now=clock())
        results["first"] = record_report(session, reporter, new_report(), clock())
        racer = threading.Thread(target=lambda: results.setdefault("second", ingest_one(runtime, clock)))
        racer.start()
        time.sleep(0.3)                     # let the racer reach its insert before we commit
    racer.join(timeout=30)
    assert results["second"].duplicate and results["second"].reference == results["first"].reference
    assert counts(runtime) == (1, 1, 1)


def test_a_taken_reference_code_is_drawn_again_inside_the_same_transaction(runtime, clock, monkeypatch):
    taken = ingest_one(runtime, clock, sid="SM1").reference
    draws = iter([taken, "CDEFHJ"])
    monkeypatch.setattr(ingest, "new_reference", lambda: next(draws))
    second = ingest_one(runtime, clock, sid="SM2")
    assert second.reference == "CDEFHJ" and not second.duplicate
    assert counts(runtime) == (1, 2, 2)


def test_a_code_drawn_twice_in_one_batch_is_drawn_again_for_the_second_report_only(runtime, clock, monkeypatch):
    draws = iter(["CDEFHJ", "CDEFHJ", "KMNPQR"])
    monkeypatch.setattr(ingest, "new_reference", lambda: next(draws))
    with runtime.transaction() as session:
        reporter = get_or_create_reporter(session, pseudonym="p1", number_encrypted="enc", language="fr", now=clock())
        first, second = record_reports(session, [ReportDraft(reporter.id, "fr", new_report(sid))
                                                 for sid in ("SM1", "SM2")], clock())
    assert (first.reference, second.reference) == ("CDEFHJ", "KMNPQR")
    assert counts(runtime) == (1, 2, 2)


def test_a_reporter_writing_again_keeps_their_row_and_a_purged_number_is_stored_again(runtime, clock):
    with runtime.transaction() as session:
        first = get_or_create_reporter(session, pseudonym="p1", number_encrypted="old", language="bm", now=clock())
    with runtime.transaction() as session:
        again = get_or_create_reporter(session, pseudonym="p1", number_encrypted="new", language="fr", now=clock())
        assert (again.id, again.number_encrypted, again.language) == (first.id, "old", "bm")
        again.number_encrypted = None                             # what `gateway purge` does
    with runtime.transaction() as session:
        back = get_or_create_reporter(session, pseudonym="p1", number_encrypted="new", language="fr", now=clock())
        assert (back.id, back.number_encrypted) == (first.id, "new")
        back.opted_out = True                                     # the object is a live ORM object
    with runtime.transaction() as session:
        assert session.scalar(select(Reporter.opted_out)) is True


def test_a_reporter_already_loaded_in_the_session_is_returned_refreshed(runtime, clock):
    with runtime.transaction() as session:
        get_or_create_reporter(session, pseudonym="p1", number_encrypted="old", language="fr", now=clock())
        session.execute(text("UPDATE reporters SET number_encrypted = NULL"))
    with runtime.transaction() as session:
        loaded = session.scalar(select(Reporter))
        assert loaded.number_encrypted is None
        again = get_or_create_reporter(session, pseudonym="p1", number_encrypted="new", language="fr", now=clock())
        assert again is loaded and again.number_encrypted == "new"


def test_a_pooled_connection_lost_while_idle_is_replaced_before_use(runtime, monkeypatch):
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("needs a database server whose connections can be killed")
    with runtime.transaction() as session:
        backend = session.scalar(text("SELECT pg_backend_pid()"))
    killer = store_db.make_engine(runtime.config.database_url)   # not the pool under test
    with killer.begin() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    killer.dispose()
    monkeypatch.setattr(store_db, "IDLE_PING_SECONDS", 0)
    with runtime.transaction() as session:
        assert session.scalar(text("SELECT pg_backend_pid()")) != backend
