"""Replay every transcripts/*.yaml through step(), hop by hop, as the HTTP glue would.

A transcript: optional `language` (what the caller remembers for the number) and `steps`,
each either `dial: true` (a new USSD session) or `input: "..."` (that hop's new input), with
optional checks: `screen` (the exact reply), `expect`/`absent` (substrings), `end`
(default false) and `effects` (default none). A step may override `language`.
Between hops the state goes through JSON, as it does through Redis.
"""
import json
from pathlib import Path

import pytest
import yaml

from menus.engine import step
from menus.model import MAX_SCREEN, REF_EXAMPLE
from menus.text import non_gsm7, septets

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_transcript(menu, path):
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    state = case.get("state")
    for number, hop in enumerate(case["steps"], start=1):
        user_input = None if hop.get("dial") else hop["input"]
        result = step(menu, state, user_input, language=hop.get("language", case.get("language")))
        _check_hop(f"{path.name} step {number} ({user_input!r})", hop, result)
        state = json.loads(json.dumps(result.state))


def _check_hop(where: str, hop: dict, result) -> None:
    reply = result.reply
    if "screen" in hop:
        assert reply == hop["screen"], f"{where}: got\n{reply}"
    for text in hop.get("expect", []):
        assert text in reply, f"{where}: {text!r} not in\n{reply}"
    for text in hop.get("absent", []):
        assert text not in reply, f"{where}: {text!r} unexpectedly in\n{reply}"
    assert result.end is hop.get("end", False), f"{where}: end={result.end}"
    assert list(result.effects) == hop.get("effects", []), f"{where}: effects {result.effects}"
    shown = reply.replace("{ref}", REF_EXAMPLE)
    assert septets(shown) <= MAX_SCREEN and not non_gsm7(shown), where


def test_all_three_languages_are_covered():
    languages = set()
    for path in TRANSCRIPTS:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        languages |= {e["language"] for h in case["steps"] for e in h.get("effects", []) if "language" in e}
        languages |= {case["language"]} if "language" in case else set()
    assert languages == {"fr", "bm", "en"}
