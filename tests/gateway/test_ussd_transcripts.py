"""Replay ussd_transcripts/*.yaml through POST /webhooks/africastalking/ussd, as AT sends them.

A transcript:
  phone: "+223…"          the caller (default tests.helpers.REPORTER)
  language: bm            optional: the language this number chose on an earlier call
  steps:                  one hop each (except `expire`), with optional checks:
    - dial: true          a new session: a new sessionId and text ""
    - input: "a*b"        this hop's own input; `text` grows by "*" + input, as AT builds it
    - repeat: true        AT sends the last hop again
    - expire: true        15 minutes pass without a hop (the saved state expires)
      screen: "CON …"     the exact body; expect / absent: substrings; end: true for "END …"
      ({ref} in any of them stands for the report's reference code)
  report:                 the one report left in the database (null: none)
  alerts:                 after the workers ran, the SMS the fake AT API was asked to send
Every hop must answer HTTP 200, text/plain, a GSM-7 screen of at most 182 characters.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from gateway.gsm7 import is_gsm7, septets
from gateway.store.models import Report
from gateway.ussd import SessionStore
from tests.helpers import REPORTER, at_config, known_reporter, ussd_phone

TRANSCRIPTS = sorted((Path(__file__).parent / "ussd_transcripts").glob("*.yaml"))
MAX_SCREEN = 182


@pytest.fixture
def config_env(config_env, fake_at):
    return at_config(config_env, fake_at)


def play(runtime, phone, hop: dict) -> tuple[int, str] | None:
    if hop.get("expire"):
        runtime.redis.delete(SessionStore.key(runtime.pseudonymiser.pseudonym(phone.phone_number)))
        return None
    if hop.get("dial"):
        return phone.dial()
    if hop.get("repeat"):
        return phone.repeat()
    return phone.answer(hop["input"])


def check_hop(where: str, hop: dict, status: int, body: str, ref: str | None) -> None:
    def filled(text: str) -> str:
        return text.replace("{ref}", ref) if ref else text
    assert status == 200, f"{where}: HTTP {status} {body}"
    assert body.startswith("END " if hop.get("end") else "CON "), f"{where}: {body!r}"
    screen = body[4:]
    assert is_gsm7(screen) and septets(screen) <= MAX_SCREEN, f"{where}: {screen!r}"
    if "screen" in hop:
        assert body == filled(hop["screen"]), f"{where}: got\n{body}"
    for text in hop.get("expect", []):
        assert filled(text) in body, f"{where}: {filled(text)!r} not in\n{body}"
    for text in hop.get("absent", []):
        assert filled(text) not in body, f"{where}: {filled(text)!r} unexpectedly in\n{body}"


def check_report(runtime, expected: dict | None) -> str | None:
    with runtime.transaction() as session:
        reports = session.scalars(select(Report)).all()
    if expected is None:
        assert reports == []
        return None
    assert len(reports) == 1, [r.reference for r in reports]
    report = reports[0]
    assert (report.channel, report.language, report.text) == ("ussd", expected["language"], expected["text"])
    assert report.details == expected["details"]
    return report.reference


def check_alerts(fake_at, expected: list[dict], ref: str | None, phone_number: str) -> None:
    sent = {request.form["to"]: request.form["message"] for request in fake_at.requests}
    assert set(sent) == {alert["to"] for alert in expected}, sent
    for alert in expected:
        for text in alert["expect"]:
            assert text.replace("{ref}", ref or "") in sent[alert["to"]], sent[alert["to"]]
    assert not any(phone_number[4:] in request.body for request in fake_at.requests)   # never the reporter's number


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript(client, runtime, forums, run_jobs, fake_at, path):
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    phone = ussd_phone(client, case.get("phone", REPORTER))
    if case.get("language"):
        known_reporter(runtime, phone.phone_number, case["language"])
    answers = [(number, hop, play(runtime, phone, hop)) for number, hop in enumerate(case["steps"], start=1)]
    ref = check_report(runtime, case["report"])
    for number, hop, answer in answers:
        if answer is not None:
            check_hop(f"{path.name} step {number} ({hop.get('input', 'dial' if hop.get('dial') else hop)!r})",
                      hop, *answer, ref)
    run_jobs()
    check_alerts(fake_at, case["alerts"], ref, phone.phone_number)


def test_every_language_and_every_feature_is_covered():
    cases = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in TRANSCRIPTS]
    languages = {c["report"]["language"] for c in cases if c["report"]} | {c.get("language") for c in cases}
    assert {"fr", "bm", "en"} <= languages
    inputs = [hop.get("input") for c in cases for hop in c["steps"]]
    assert {"0", "00", "99"} <= set(inputs)                       # back, home, next page
    assert any("*" in (text or "") for text in inputs)           # free text with "*"
    kinds = {key for c in cases for hop in c["steps"] for key in hop if key in ("repeat", "expire")}
    assert kinds == {"repeat", "expire"}
