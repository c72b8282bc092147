"""The disk spool: a database outage costs no report, and replays create nothing twice."""
from __future__ import annotations

import dataclasses
import re
import shutil

import pytest
from sqlalchemy import create_engine, event, func, select

from gateway import create_app
from gateway.config import load_config
from gateway.durable import drain
from gateway.errors import ConfigError
from gateway.spool import Spool
from gateway.store.db import make_session_factory
from gateway.store.models import Message, Report
from tests.helpers import REPORTER, send_sms, signed_post, twilio_form

SECRET = "Les hommes du commandant cachent des armes pres du puits de Nara"


def unreachable(runtime):
    """The same runtime (config, spool, Redis) with a database nobody answers on."""
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    return dataclasses.replace(runtime, engine=engine, sessions=make_session_factory(engine))


@pytest.fixture
def down_client(runtime):
    return create_app(runtime=unreachable(runtime)).test_client()


def reference_in(response) -> str:
    return re.search(r"Ref ([A-Z0-9]{6})", response.get_data(as_text=True)).group(1)


def count(runtime, model) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_outage_is_answered_as_usual_and_the_replay_keeps_the_reference(down_client, runtime):
    form, response = send_sms(down_client, SECRET)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    reference = reference_in(response)
    create_app(runtime=runtime)                             # the database is back
    assert count(runtime, Report) == 0
    assert drain(runtime).replayed == 1
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
        assert (report.reference, report.text, report.status) == (reference, SECRET, "received")
        assert session.scalar(select(Message.provider_message_id).where(Message.direction == "in")) == form["MessageSid"]
    assert Spool.from_config(runtime.config).names() == []


def test_spool_entries_hold_nothing_personal_in_clear(down_client, runtime):
    send_sms(down_client, SECRET)
    spool = Spool.from_config(runtime.config)
    raw = b"".join((spool.directory / name).read_bytes() for name in spool.names())
    for secret in (SECRET, "commandant", REPORTER, REPORTER[4:], "76123456"):
        assert secret.encode() not in raw
    assert (spool.directory.stat().st_mode & 0o777) == 0o700


def test_a_provider_retry_during_the_outage_gets_the_same_receipt_and_one_entry(down_client, runtime):
    form = twilio_form(SECRET)
    first = signed_post(down_client, "/webhooks/twilio/sms", form)
    second = signed_post(down_client, "/webhooks/twilio/sms", form)
    assert reference_in(first) == reference_in(second)
    assert len(Spool.from_config(runtime.config).names()) == 1


def test_a_replay_interrupted_before_deleting_its_entry_creates_nothing_twice(down_client, runtime, tmp_path):
    send_sms(down_client, SECRET)
    spool = Spool.from_config(runtime.config)
    [name] = spool.names()
    shutil.copy(spool.directory / name, tmp_path / name)
    drain(runtime)
    shutil.copy(tmp_path / name, spool.directory / name)   # as if the process died before unlink
    assert drain(runtime).replayed == 1
    assert count(runtime, Report) == 1 and count(runtime, Message) == 2      # inbound + receipt


def test_a_message_stored_before_the_outage_and_retried_during_it_stays_single(client, down_client, runtime):
    form = twilio_form(SECRET)
    signed_post(client, "/webhooks/twilio/sms", form)
    signed_post(down_client, "/webhooks/twilio/sms", form)
    drain(runtime)
    assert count(runtime, Report) == 1


def test_the_drain_stops_while_the_database_is_still_down(down_client, runtime):
    for text in ("un", "deux"):
        send_sms(down_client, text)
    result = drain(unreachable(runtime))
    assert (result.replayed, result.quarantined, result.remaining) == (0, 0, 2)


def test_an_unreadable_entry_is_set_aside_and_the_rest_replayed(down_client, runtime):
    send_sms(down_client, SECRET)
    spool = Spool.from_config(runtime.config)
    (spool.directory / "sms-0000.entry").write_bytes(b"not a fernet token")
    result = drain(runtime)
    assert (result.replayed, result.quarantined, result.remaining) == (1, 1, 0)
    assert (spool.quarantine_dir / "sms-0000.entry").exists()
    assert spool.stats().quarantined == 1


def commits_during(runtime, action) -> int:
    commits = []
    listener = lambda connection: commits.append(1)   # noqa: E731
    event.listen(runtime.engine, "commit", listener)
    try:
        action()
    finally:
        event.remove(runtime.engine, "commit", listener)
    return len(commits)


def test_a_long_outage_is_replayed_in_batches_and_in_order(down_client, runtime):
    references = [reference_in(send_sms(down_client, f"rapport {n}")[1]) for n in range(10)]
    batched = dataclasses.replace(runtime, config=runtime.config.with_overrides(ingest_batch_size=4))
    results = []
    assert commits_during(batched, lambda: results.append(drain(batched))) == 3        # 4 + 4 + 2
    assert (results[0].replayed, results[0].quarantined, results[0].remaining) == (10, 0, 0)
    with runtime.transaction() as session:
        stored = session.execute(select(Report.reference, Report.text).order_by(Report.id)).all()
    assert stored == [(reference, f"rapport {n}") for n, reference in enumerate(references)]


def test_an_entry_the_replay_refuses_is_set_aside_alone_and_its_batch_replayed(down_client, runtime):
    for text in ("avant", "apres"):
        send_sms(down_client, text)
    spool = Spool.from_config(runtime.config)
    spool.put("sms", "twilio:SMbroken", {"inbound": {"provider": "twilio"}})    # no message in it
    result = drain(runtime)
    assert (result.replayed, result.quarantined, result.remaining) == (2, 1, 0)
    assert count(runtime, Report) == 2
    assert len(list(spool.quarantine_dir.iterdir())) == 1


def test_delivery_status_callbacks_are_spooled_too(client, runtime, run_jobs, forums):
    send_sms(client, "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba")
    run_jobs()
    with runtime.transaction() as session:
        alert = session.scalar(select(Message).where(Message.kind == "alert"))
        alert.provider, alert.provider_message_id = "twilio", "SM" + "5" * 32     # as Twilio sent it
    down_client = create_app(runtime=unreachable(runtime)).test_client()
    response = signed_post(down_client, "/webhooks/twilio/status",
                           {"MessageSid": alert.provider_message_id, "MessageStatus": "delivered"})
    assert response.status_code == 200
    drain(runtime)
    with runtime.transaction() as session:
        assert session.get(Message, alert.id).status == "delivered"


def test_when_the_spool_cannot_take_it_either_the_provider_is_told_to_retry(runtime):
    app = create_app(runtime=unreachable(runtime))
    shutil.rmtree(runtime.config.spool_path)
    runtime.config.spool_path.write_text("a file where the spool directory was")
    _, response = send_sms(app.test_client(), SECRET)
    assert response.status_code == 503 and "Retry-After" in response.headers


def test_a_spool_directory_that_cannot_be_written_stops_startup(config_env, tmp_path):
    (tmp_path / "file").write_text("x")
    config = load_config(dict(config_env, SPOOL_DIR=str(tmp_path / "file" / "spool")))
    with pytest.raises(ConfigError, match="spool directory .* is not writable.*SPOOL_DIR"):
        create_app(config)


def test_logs_of_an_outage_and_its_replay_hold_no_body_and_no_number(down_client, runtime, caplog):
    import logging

    from gateway.logs import KeyValueFormatter

    caplog.set_level(logging.DEBUG)
    send_sms(down_client, SECRET)
    drain(runtime)
    text = "\n".join(KeyValueFormatter("%(name)s %(message)s").format(record) for record in caplog.records)
    assert "spooled" in text and "spool drained" in text
    for secret in (SECRET, "commandant", REPORTER, REPORTER[4:]):
        assert secret not in text
