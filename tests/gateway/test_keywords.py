"""Reading keywords and commands: the whole body decides, accents and case do not."""
from __future__ import annotations

import pytest

from gateway.keywords import Command, Keyword, is_valid_reference, parse_command, parse_keyword

KEYWORDS = [
    # label, body, expected keyword (None: it is a report)
    ("STOP", "STOP", Keyword("stop")),
    ("French opt-out with accent and full stop", "Arrêt.", Keyword("stop")),
    ("Bambara opt-out", "dabila", Keyword("stop")),
    ("START in lower case with spaces", "  start ", Keyword("start")),
    ("French help", "aide", Keyword("help")),
    ("English help", "HELP!", Keyword("help")),
    ("Bambara help", "Dèmè", Keyword("help")),
    ("follow-up with reference", "SUIVI 64dxnw", Keyword("status", "64DXNW")),
    ("follow-up with a spaced reference", "suivi 64D XNW", Keyword("status", "64DXNW")),
    ("English follow-up", "status 64DXNW", Keyword("status", "64DXNW")),
    ("follow-up without reference", "SUIVI", Keyword("status", "")),
    ("language: French", "Français", Keyword("language", "fr")),
    ("language: English code", "EN", Keyword("language", "en")),
    ("language: Bambara", "bamanankan", Keyword("language", "bm")),
    ("STOP inside a sentence is a report", "Stop aux violences a Kenieba", None),
    ("SUIVI followed by a story is a report", "Suivi de l'attaque de Boni, des hommes armes reviennent", None),
    ("OK from a reporter is a report", "OK", None),
    ("an ordinary report", "Des hommes armes a Boni", None),
    ("an empty body is a report", "", None),
]


@pytest.mark.parametrize("label, body, expected", KEYWORDS, ids=[case[0] for case in KEYWORDS])
def test_reporter_keywords(label, body, expected):
    assert parse_keyword(body) == expected


COMMANDS = [
    ("acknowledge", "OK 64DXNW", Command("acknowledge", "OK", "64DXNW")),
    ("acknowledge in lower case, extra words ignored", "ok 64dxnw merci", Command("acknowledge", "OK", "64DXNW")),
    ("Bambara acknowledge", "Awo 64DXNW", Command("acknowledge", "AWO", "64DXNW")),
    ("close with a note", "FIN 64DXNW Calme revenu, chef de village informé",
     Command("close", "FIN", "64DXNW", "Calme revenu, chef de village informé")),
    ("close without a note", "fin 64DXNW", Command("close", "FIN", "64DXNW")),
    ("English close", "CLOSE 64DXNW", Command("close", "CLOSE", "64DXNW")),
    ("details", "INFO 64DXNW", Command("info", "INFO", "64DXNW")),
    ("Bambara details", "kunnafoni 64DXNW", Command("info", "KUNNAFONI", "64DXNW")),
    ("missing reference", "OK", Command("acknowledge", "OK")),
    ("help", "AIDE", Command("help", "AIDE")),
    ("question mark", "?", Command("help", "?")),
    ("anything else", "Bonjour, on se voit demain?", Command("unknown", "BONJOUR,")),
    ("empty", "", Command("unknown", "")),
]


@pytest.mark.parametrize("label, body, expected", COMMANDS, ids=[case[0] for case in COMMANDS])
def test_coordinator_commands(label, body, expected):
    assert parse_command(body) == expected


@pytest.mark.parametrize("reference, valid", [("64DXNW", True), ("64DXN", False), ("64DXNWA", False),
                                              ("640XNW", False), ("", False)])
def test_reference_shape(reference, valid):
    assert is_valid_reference(reference) is valid
