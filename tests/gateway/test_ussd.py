"""USSD sessions: input recovery from AT's cumulative text, state in Redis, failures that must
still answer 200 with an END, and a final hop that AT retries."""
from __future__ import annotations

import json
import logging
import re
import shutil

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from gateway.domain import UssdHop
from gateway.durable import drain
from gateway.logs import KeyValueFormatter
from gateway.runtime import redis_from_url
from gateway.store.models import Message, Report, Reporter
from gateway.ussd import REPEAT, STATE_TTL_SECONDS, SavedHop, SessionStore, new_input
from tests.helpers import REPORTER, known_reporter, ussd_phone

# A journey to the confirm screen: French, resource conflict, Kayes, Kenieba, no place,
# right now, danger, a description with "*".
TO_CONFIRM = ["1", "3", "1", "4", "1", "1", "1", "Orpailleurs * blesses"]


def hop(text: str, session: str = "S1") -> UssdHop:
    return UssdHop("africastalking", session, REPORTER, "*384*123#", "61002", text)


def saved(text: str, session: str = "S1") -> SavedHop:
    return SavedHop(session, text, "screen", False, {})


NEW_INPUTS = [
    # label, what was saved, this hop, the new input
    ("first hop of a session", None, hop(""), None),
    ("first answer", saved(""), hop("1"), "1"),
    ("next answer", saved("1*3"), hop("1*3*2"), "2"),
    ("free text with stars", saved("1*3"), hop("1*3*a*b*"), "a*b*"),
    ("empty answer", saved("1*3"), hop("1*3*"), ""),
    ("a first answer that is empty", saved(""), hop("*1"), "*1"),   # "" then "1" cannot be told from "*1"
    ("a new dial (empty text) keeps nothing", saved("1*3"), hop(""), None),
    ("a new session", saved("1*3"), hop("1*3*2", session="S2"), None),
    ("a new session with a dialled path", saved(""), hop("1*2", session="S2"), None),
    ("the provider retries the last hop", saved("1*3"), hop("1*3"), REPEAT),
    ("a late retry of an earlier hop", saved("1*3*2"), hop("1*3"), REPEAT),
    ("out of step with what we saw", saved("1*3"), hop("2*4*1"), None),
    ("state lost mid-session", None, hop("1*3*2"), None),
]


@pytest.mark.parametrize("label, previous, this_hop, expected", NEW_INPUTS, ids=[n[0] for n in NEW_INPUTS])
def test_new_input_is_recovered_from_the_cumulative_text(label, previous, this_hop, expected):
    found = new_input(previous, this_hop)
    assert (found is REPEAT) if expected is REPEAT else (found == expected)


def state_key(runtime, number: str = REPORTER) -> str:
    return SessionStore.key(runtime.pseudonymiser.pseudonym(number))


def count(runtime, model) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_state_is_keyed_by_a_keyed_hash_never_the_number_and_expires_in_15_minutes(client, runtime):
    phone = ussd_phone(client)
    phone.dial()
    phone.answer("1")
    [key] = runtime.redis.keys("ussd:*")
    assert key.decode() == state_key(runtime)
    assert "76123456" not in key.decode()
    assert 0 < runtime.redis.ttl(key) <= STATE_TTL_SECONDS == 15 * 60
    assert "76123456" not in runtime.redis.get(key).decode()


def test_a_retried_final_hop_whose_saved_answer_was_lost_creates_nothing_twice(client, runtime):
    """Even if Redis lost the finished record, the provider id (sessionId) stops a second report."""
    phone = ussd_phone(client)
    phone.dial()
    for answer in TO_CONFIRM:
        phone.answer(answer)
    at_confirm = runtime.redis.get(state_key(runtime))
    _, first = phone.answer("1")
    runtime.redis.set(state_key(runtime), at_confirm)       # as if the finished record never got saved
    _, again = phone.repeat()
    assert first == again and first.startswith("END Merci")
    assert count(runtime, Report) == 1 and count(runtime, Message) == 1


def dead_redis():
    return redis_from_url("redis://127.0.0.1:1/0")


@pytest.mark.parametrize("language, apology", [
    ("bm", "END Hake to, baara te se ka ke sisan."),
    ("en", "END Sorry, the service is unavailable."),
    (None, "END Desole, le service est indisponible."),
])
def test_redis_down_answers_200_with_an_end_apology_in_the_reporters_language(client, runtime, language, apology):
    if language:
        known_reporter(runtime, REPORTER, language)
    runtime.redis = dead_redis()
    status, body = ussd_phone(client).dial()
    assert status == 200 and body.startswith(apology)


def test_a_journey_interrupted_by_redis_can_be_resumed_when_it_is_back(client, runtime):
    phone = ussd_phone(client)
    phone.dial()
    for answer in TO_CONFIRM[:3]:
        phone.answer(answer)
    alive, runtime.redis = runtime.redis, dead_redis()
    assert phone.answer("4") == (200, "END Desole, le service est indisponible. Rappelez dans quelques minutes.")
    runtime.redis = alive
    assert phone.dial()[1].startswith("CON Vous avez un signalement non fini.")
    assert "Choisissez le cercle:" in phone.answer("1")[1]


def at_confirm(client):
    phone = ussd_phone(client)
    phone.dial()
    for answer in TO_CONFIRM:
        phone.answer(answer)
    return phone


def database_down(runtime):
    runtime.sessions = sessionmaker(create_engine("sqlite:////nonexistent/dir/db.sqlite"))


def test_database_down_at_submit_spools_the_report_and_still_shows_its_code(client, runtime):
    phone, working = at_confirm(client), runtime.sessions
    database_down(runtime)
    status, body = phone.answer("1")
    assert status == 200 and body.startswith("END Merci")
    code = re.search(r"Votre code: ([A-Z0-9]{6})", body).group(1)
    runtime.sessions = working
    assert count(runtime, Report) == 0
    assert drain(runtime).replayed == 1
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
    assert (report.reference, report.channel, report.text) == (code, "ussd", "Orpailleurs * blesses")
    assert report.details["cercle_pcode"] == "ML0104"


def test_database_and_spool_both_down_keep_the_answers_for_a_later_dial(client, runtime):
    phone, working = at_confirm(client), runtime.sessions
    database_down(runtime)
    shutil.rmtree(runtime.config.spool_path, ignore_errors=True)
    runtime.config.spool_path.write_text("a file where the spool directory was")
    assert phone.answer("1") == (200, "END Desole, le service est indisponible. Rappelez dans quelques minutes.")
    runtime.sessions = working
    phone.dial()
    assert phone.answer("1")[1].startswith("CON Envoyer?")        # continue: back on the confirm screen
    runtime.config.spool_path.unlink()
    status, body = phone.answer("1")
    assert status == 200 and body.startswith("END Merci") and count(runtime, Report) == 1


def reporter_languages(runtime) -> list[str]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Reporter.language)))


def test_a_number_that_only_chose_a_language_leaves_nothing_in_the_database(client, runtime):
    phone = ussd_phone(client)
    phone.dial()
    assert phone.answer("3")[1].startswith("CON What happened?")
    assert reporter_languages(runtime) == []


def test_the_language_of_a_first_report_is_remembered_for_the_next_call(client, runtime):
    phone = ussd_phone(client)
    phone.dial()
    phone.answer("2")                                               # Bamanankan
    for answer in TO_CONFIRM[1:]:
        phone.answer(answer)
    assert phone.answer("1")[1].startswith("END I ni ce")
    assert reporter_languages(runtime) == ["bm"]
    assert phone.dial()[1].startswith("CON Mun kera?")             # no language screen


def test_a_known_reporter_who_changes_language_has_it_remembered(client, runtime):
    known_reporter(runtime, REPORTER, "fr")
    phone = ussd_phone(client)
    assert phone.dial()[1].startswith("CON Que s'est-il passe?")
    assert phone.answer("0")[1].startswith("CON Langue / Kan / Language")
    assert phone.answer("3")[1].startswith("CON What happened?")
    assert reporter_languages(runtime) == ["en"]


def test_a_crash_anywhere_still_answers_200_with_an_end(client, runtime, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("a menu that fails to load")
    monkeypatch.setattr("gateway.ussd.load_menu", broken)
    status, body = ussd_phone(client).dial()
    assert status == 200 and body.startswith("END Desole")


def test_the_saved_state_is_plain_json_that_a_corruption_resets(client, runtime):
    phone = ussd_phone(client)
    phone.dial()
    phone.answer("1")
    state = json.loads(runtime.redis.get(state_key(runtime)))
    assert state["session_id"] == phone.session_id and state["text"] == "1"
    runtime.redis.set(state_key(runtime), b"\x00not json")
    assert phone.answer("3")[1].startswith("CON Langue / Kan / Language")   # a fresh start, not an error


def test_logs_of_a_ussd_report_hold_no_number_no_text_no_reference(client, runtime, run_jobs, forums, caplog):
    caplog.set_level(logging.DEBUG)
    phone = ussd_phone(client)
    phone.dial()
    for answer in TO_CONFIRM:
        phone.answer(answer)
    phone.answer("1")
    run_jobs()
    with runtime.transaction() as session:
        reference = session.scalar(select(Report.reference))
    text = "\n".join(KeyValueFormatter("%(name)s %(message)s").format(r) for r in caplog.records)
    assert "ussd report" in text
    for secret in (REPORTER, "76123456", "Orpailleurs", reference):
        assert secret not in text, secret


@pytest.mark.parametrize("config_overrides", [{"rate_limit_per_number": (1, 600)}])
def test_ussd_reports_count_towards_the_numbers_rate_limit(client, runtime, config_overrides):
    for _ in range(2):
        phone = at_confirm(client)
        assert phone.answer("1")[1].startswith("END Merci")     # the reporter sees no difference
    with runtime.transaction() as session:
        assert sorted(session.scalars(select(Report.status))) == ["held", "received"]
    assert runtime.queues.depth()["reports"] == 1
