"""Engine edge cases the transcripts do not show: corrupted states, odd input, limits."""
import json
import logging

import pytest

from menus import engine
from menus.engine import StepResult, load_menu, step

FRESH_FR = "Que s'est-il passe?"
LANGUAGE_SCREEN = "Langue / Kan / Language"


def _walk(menu, inputs, language="fr"):
    result = step(menu, None, None, language=language)
    for text in inputs:
        result = step(menu, result.state, text, language=language)
    return result


def _state_at_place(menu):
    return _walk(menu, ["1", "5", "1"]).state   # category 1, Mopti, cercle Mopti → place screen


def _with(state, **changes):
    return {**json.loads(json.dumps(state)), **changes}


BAD_STATES = [
    ("not a dict", ["screen", "place"]),
    ("empty dict", {}),
    ("old version", {"v": 0}),
    ("other menu", lambda s: _with(s, menu="other")),
    ("unknown screen", lambda s: _with(s, screen="nowhere")),
    ("end screen as position", lambda s: _with(s, screen="done")),
    ("page out of range", lambda s: _with(s, screen="category", page=7)),
    ("page not an int", lambda s: _with(s, screen="category", page="0")),
    ("page is a bool", lambda s: _with(s, screen="category", page=False)),
    ("history not a list", lambda s: _with(s, history="language")),
    ("history entry unknown", lambda s: _with(s, history=[["nowhere", 0]])),
    ("history too long", lambda s: _with(s, history=[["category", 0]] * 51)),
    ("unknown answer key", lambda s: _with(s, answers={**s["answers"], "name": "x"})),
    ("category not a code", lambda s: _with(s, answers={**s["answers"], "category": "theft"})),
    ("cercle of another region", lambda s: _with(s, answers={**s["answers"], "cercle_pcode": "ML0101"})),
    ("danger as text", lambda s: _with(s, answers={**s["answers"], "danger_now": "yes"})),
    ("danger as 1", lambda s: _with(s, answers={**s["answers"], "danger_now": 1})),
    ("language unknown", lambda s: _with(s, answers={**s["answers"], "language": "de"})),
    ("text answer too long", lambda s: _with(s, answers={**s["answers"], "place_text": "x" * 81})),
    ("resume without saved place", lambda s: _with(s, screen="resume")),
    ("resume_to off the offer", lambda s: _with(s, resume_to=["place", 0])),
    ("resume_to to itself", lambda s: _with(s, screen="resume", resume_to=["resume", 0])),
    ("answers not a dict", lambda s: _with(s, answers=[])),
]


@pytest.mark.parametrize("label,bad", BAD_STATES, ids=[c[0] for c in BAD_STATES])
@pytest.mark.parametrize("user_input", [None, "1"], ids=["new dial", "mid-session"])
def test_bad_state_restarts_cleanly(menu, label, bad, user_input):
    state = bad(_state_at_place(menu)) if callable(bad) else bad
    result = step(menu, state, user_input, language="fr")
    assert result.reply.startswith(FRESH_FR), label
    assert (result.end, result.effects) == (False, ())
    assert result.state["answers"] == {"language": "fr"}


@pytest.mark.parametrize("user_input", [123, b"1", ["1"], {"x": 1}])
def test_input_that_is_not_text_counts_as_empty(menu, user_input):
    result = step(menu, _walk(menu, []).state, user_input, language="fr")
    assert result.reply.startswith("Choix invalide.\n" + FRESH_FR)


def test_huge_input_on_a_choice_screen_is_invalid(menu):
    result = step(menu, _walk(menu, []).state, "1" * 1_000_000)
    assert result.reply.startswith("Choix invalide.")


@pytest.mark.parametrize("inputs,key,expected", [
    (["x" * 300], "place_text", "x" * 80),
    (["Boni", "1", "1", "y" * 5000], "description", "y" * 500),
    (["a\x00b\u200bc\td"], "place_text", "a b c d"),   # control/format characters become spaces
    (["  *123*4#  "], "place_text", "*123*4#"),          # '*' and '#' survive; the ends are trimmed
    (["Ségou ɛ"], "place_text", "Ségou ɛ"),             # stored as typed; only the echo is folded
])
def test_free_text_is_cleaned_and_cut(menu, inputs, key, expected):
    result = _walk(menu, ["1", "5", "1", *inputs])
    assert result.state["answers"][key] == expected


def test_echo_of_free_text_is_ascii_and_short(menu):
    result = _walk(menu, ["1", "5", "1", "Ségou ɛ {bad} «" + "z" * 40, "1", "1", "1"])
    assert "Segou e bad zzzzzzzz, Mopti" in result.reply


def test_unknown_language_shows_the_language_screen(menu):
    assert step(menu, None, None, language="de").reply.startswith(LANGUAGE_SCREEN)


def test_lost_state_mid_session_starts_over_and_ignores_the_input(menu):
    result = step(menu, None, "5", language="bm")
    assert result.reply.startswith("Mun kera?") and result.effects == ()


def test_forged_confirm_state_without_answers_never_submits(menu):
    state = _with(_state_at_place(menu), screen="confirm", history=[], answers={"language": "fr"})
    result = step(menu, state, "1")
    assert result.effects == () and not result.end and result.reply.startswith(FRESH_FR)


def test_an_unexpected_error_restarts_and_is_logged_without_content(menu, monkeypatch, caplog):
    def explode(*args):
        raise RuntimeError("secret report text")
    monkeypatch.setattr(engine, "_answer", explode)
    with caplog.at_level(logging.ERROR, logger="menus.engine"):
        result = step(menu, _walk(menu, []).state, "1", language="en")
    assert result.reply.startswith("What happened?")
    assert "RuntimeError" in caplog.text and "secret" not in caplog.text


def test_end_returns_an_empty_state(menu):
    result = _walk(menu, ["1", "5", "1", "1", "1", "1", "1", "2"])
    assert (result.end, result.state) == (True, {}) and result.reply == "Annule. Rien n'a ete envoye."


def test_load_menu_is_cached_and_step_result_is_frozen(menu):
    assert load_menu() is menu
    with pytest.raises(AttributeError):
        StepResult("x", False, {}, ()).reply = "y"


def test_load_menu_refuses_a_broken_menu(monkeypatch, tmp_path):
    (tmp_path / "broken.yaml").write_text("id: [", encoding="utf-8")
    monkeypatch.setattr(engine, "MENUS_DIR", tmp_path)
    with pytest.raises(engine.MenuError, match="broken.yaml: line 1: invalid YAML"):
        load_menu("broken")
