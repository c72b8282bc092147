"""The audit log is append-only and hash-chained; `gateway audit verify` names the first break."""
from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from gateway.cli import main
from gateway.store.audit import GENESIS, append, verify
from gateway.store.models import AuditEvent

SQLITE_GUARD = ("CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")


def write_entries(runtime, count: int, actor: str = "admin@example.ml") -> list[int]:
    ids = []
    for index in range(count):
        with runtime.transaction() as session:
            ids.append(append(session, actor=actor, action="report.view", at=runtime.now(), target=f"REF{index:03d}",
                              details={"ip": "127.0.0.1", "n": index, "note": "é → ok"}).id)
    return ids


def tamper(runtime, sql: str, **values) -> None:
    """Change a row as someone with database access would: first out of the append-only guard's way."""
    with runtime.engine.begin() as connection:
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_append_only"))
        connection.execute(text(sql), values)
        if postgresql:
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        else:
            connection.execute(text(SQLITE_GUARD))


def run_verify(config_env):
    return CliRunner().invoke(main, ["audit", "verify"], env=config_env)


def test_entries_chain_from_genesis_and_verify(runtime):
    write_entries(runtime, 5)
    with runtime.transaction() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        status = verify(session)
    assert events[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
    assert status.ok and status.entries == 5


def test_an_empty_log_verifies(runtime, config_env):
    result = run_verify(config_env)
    assert result.exit_code == 0 and "intact: 0 entries" in result.output


TAMPERING = [
    ("a changed target", "UPDATE audit_events SET target = 'OTHER' WHERE id = :id", "content"),
    ("changed details", "UPDATE audit_events SET details = '{\"ip\": \"1.2.3.4\"}' WHERE id = :id", "content"),
    ("a changed actor", "UPDATE audit_events SET actor = 'someone@else' WHERE id = :id", "content"),
    ("a deleted entry", "DELETE FROM audit_events WHERE id = :id - 1", "previous entry"),
    ("a recomputed hash", "UPDATE audit_events SET hash = :fake WHERE id = :id", "content"),
]


@pytest.mark.parametrize("label, sql, reason", TAMPERING, ids=[t[0] for t in TAMPERING])
def test_editing_a_row_in_the_database_makes_verify_fail_and_name_it(runtime, config_env, label, sql, reason):
    ids = write_entries(runtime, 6)
    assert run_verify(config_env).exit_code == 0
    tamper(runtime, sql, id=ids[3], fake="f" * 64)
    result = run_verify(config_env)
    assert result.exit_code == 1
    assert f"broken at entry #{ids[3]}" in result.output and reason in result.output


def test_the_database_refuses_to_update_an_audit_row(runtime):
    ids = write_entries(runtime, 1)
    with pytest.raises(DBAPIError):
        with runtime.engine.begin() as connection:
            connection.execute(text("UPDATE audit_events SET actor = 'x' WHERE id = :id"), {"id": ids[0]})


def test_concurrent_appends_keep_one_unbroken_chain(runtime):
    errors = []

    def writer(name: str) -> None:
        try:
            write_entries(runtime, 10, actor=name)
        except Exception as exc:             # surfaced below: a fork or a lock failure
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"writer{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with runtime.transaction() as session:
        status = verify(session)
    assert errors == [] and status.ok and status.entries == 40


def test_resuming_checks_only_new_entries_but_notices_a_changed_checkpoint(runtime):
    ids = write_entries(runtime, 3)
    with runtime.transaction() as session:
        checkpoint = verify(session)
    write_entries(runtime, 2)
    with runtime.transaction() as session:
        resumed = verify(session, resume=checkpoint)
    assert resumed.ok and resumed.entries == 5
    tamper(runtime, "UPDATE audit_events SET target = 'X' WHERE id = :id", id=ids[-1])
    with runtime.transaction() as session:
        assert verify(session, resume=checkpoint).broken_id == ids[-1]


def test_the_audit_page_shows_whether_the_chain_verifies(runtime, signed_in, clock):
    auditor = signed_in("auditor")
    page = auditor.get("/staff/audit").get_data(as_text=True)
    assert "Chaîne vérifiée" in page and "login.success" in page
    with runtime.transaction() as session:
        first = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
    tamper(runtime, "UPDATE audit_events SET actor = 'mallory' WHERE id = :id", id=first)
    clock.advance(minutes=11)                   # the page re-reads the whole chain every ten minutes
    page = auditor.get("/staff/audit").get_data(as_text=True)
    assert f"Chaîne rompue à l&#39;entrée n° {first}" in page
