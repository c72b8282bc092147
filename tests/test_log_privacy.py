"""A full run's logs hold no message body and no clear reporter number."""
from __future__ import annotations

import logging

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select, text

from gateway.logs import KeyValueFormatter, withhold_database_text
from gateway.runtime import current, install
from gateway.store.models import Report
from tests.helpers import send_sms, signed_post

SECRET_BODY = "Les hommes du commandant Zakaria cachent des armes a Kenieba"
NUMBER = "+22365987654"
NUMBER_FORMS = (NUMBER, "65987654", "65 98 76 54", "22365987654")


def test_logs_of_a_full_run_hold_no_body_and_no_number(client, runtime, forums, run_jobs, caplog):
    caplog.set_level(logging.DEBUG)
    send_sms(client, SECRET_BODY, sender=NUMBER)
    send_sms(client, "", sender="not a number")                  # rejected input is logged too
    run_jobs()
    with runtime.transaction() as session:
        reference = session.scalar(select(Report.reference))
    signed_post(client, "/webhooks/twilio/status", {"MessageSid": "SM" + "7" * 32, "MessageStatus": "sent"})
    formatter = KeyValueFormatter("%(name)s %(message)s")
    text = "\n".join(formatter.format(record) for record in caplog.records)
    assert "report processed" in text and "inbound sms" in text   # the run was logged
    for secret in (SECRET_BODY, "Zakaria", "cachent des armes", *NUMBER_FORMS):
        assert secret not in text, secret
    assert reference not in text                                  # not even the reference code


def stored_values(redis, pattern: str) -> list[bytes]:
    """Every value Redis holds under these keys (strings, hashes, lists, streams: what RQ uses)."""
    values = []
    for key in redis.keys(pattern):
        kind = redis.type(key)
        if kind == b"string":
            values.append(redis.get(key))
        elif kind == b"hash":
            values += redis.hgetall(key).values()
        elif kind == b"list":
            values += redis.lrange(key, 0, -1)
        elif kind == b"stream":
            values += [v for _, fields in redis.xrange(key) for v in fields.values()]
    return values


def store_a_row_the_database_refuses() -> None:
    """A message row without its required columns: PostgreSQL's error quotes the whole row."""
    with current().transaction() as session:
        session.execute(text("INSERT INTO messages (body) VALUES (:body)"), {"body": SECRET_BODY})


@withhold_database_text
def failing_job() -> None:
    store_a_row_the_database_refuses()


def test_a_logged_database_error_names_its_kind_and_never_quotes_the_row(runtime, caplog):
    install(runtime)
    try:
        store_a_row_the_database_refuses()
    except Exception:
        logging.getLogger("gateway.test").exception("store failed")
    text_ = KeyValueFormatter("%(name)s %(message)s").format(caplog.records[-1])
    assert "store failed" in text_ and "IntegrityError" in text_ and "withheld" in text_
    assert "Traceback (most recent call last)" in text_ and "store_a_row_the_database_refuses" in text_
    if runtime.engine.dialect.name == "postgresql":
        assert "sqlstate=23502" in text_ and "table_name=messages" in text_   # not-null violation
    for secret in (SECRET_BODY, "Zakaria"):
        assert secret not in text_


def test_a_failed_job_leaves_rq_no_database_text(runtime):
    """RQ formats, stores (in Redis) and logs a failed job's traceback itself."""
    install(runtime)
    queue = Queue("privacy-test", connection=runtime.redis)
    job = queue.enqueue(failing_job)
    SimpleWorker([queue], connection=runtime.redis).work(burst=True, logging_level="WARNING")
    kept = job.latest_result().exc_string
    assert "DatabaseTextWithheld" in kept and "IntegrityError" in kept
    assert SECRET_BODY not in kept and "Zakaria" not in kept
    assert not any(b"Zakaria" in value for value in stored_values(runtime.redis, "rq:*"))
    with pytest.raises(ZeroDivisionError):        # other failures pass through untouched
        withhold_database_text(lambda: 1 / 0)()


def test_the_formatter_renders_what_logging_allows_without_failing():
    formatter = KeyValueFormatter("%(message)s")
    no_exception = logging.LogRecord("x", logging.ERROR, __file__, 1, "logged", (), (None, None, None))
    assert formatter.format(no_exception) == "logged\nNoneType: None"      # exc_info=True outside except
    first, second = ValueError("first"), KeyError("second")
    first.__context__, second.__context__ = second, first                   # a cycle: printed once each
    cyclic = logging.LogRecord("x", logging.ERROR, __file__, 1, "cycle", (), (ValueError, first, None))
    rendered = formatter.format(cyclic)
    assert rendered.count("ValueError: first") == 1 and rendered.count("KeyError: 'second'") == 1
