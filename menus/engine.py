"""The pure USSD menu engine: one hop in, one screen out. No I/O, no clock, no globals but a cache.

    menu = load_menu()
    r = step(menu, None, None, language="fr")     # new dial (user_input None)
    r = step(menu, r.state, "1")                  # each later hop: the NEW input only
    r.reply, r.end, r.state, r.effects

The caller (gateway) stores `state`, prefixes the reply with CON/END, applies the effects
and fills "{ref}" in the final screen. Navigation: 0 back, 00 home, 99 next page; on a
free-text screen exactly "0"/"00" navigate and exactly "1" skips.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from menus.check import check_menu
from menus.loader import load_menu_files
from menus.model import BACK, HOME, LANGUAGE_KEY, MORE, SKIP, Menu, Option, Screen
from menus.render import render
from menus.state import Journey, parse_state
from menus.text import clean_input

log = logging.getLogger(__name__)
MENUS_DIR = Path(__file__).parent
MAX_CHOICE_LEN = 4  # longer input cannot be an option number; skip parsing it


class MenuError(Exception):
    """The menu files have problems; str() lists them (one per line)."""


@dataclass(frozen=True)
class StepResult:
    reply: str                  # screen text WITHOUT the "CON "/"END " prefix
    end: bool                   # True → provider renders END
    state: dict                 # JSON-serialisable; the caller stores it
    effects: tuple[dict, ...]   # remember_language / submit_report, for the caller to apply


@lru_cache(maxsize=None)
def load_menu(name: str = "report") -> Menu:
    """The named menu with its strings and areas, checked; raises MenuError if it has problems."""
    menu, problems = load_menu_files(MENUS_DIR / f"{name}.yaml", MENUS_DIR / "strings", MENUS_DIR / "areas.yaml")
    problems = problems + (check_menu(menu) if menu else [])
    if problems or menu is None:
        raise MenuError("\n".join(str(p) for p in problems))
    return menu


def step(menu: Menu, state: dict | None, user_input: str | None, *, language: str | None = None) -> StepResult:
    """Advance the journey by one hop. Never raises: anything unexpected restarts cleanly."""
    known = language if language in menu.languages else None
    try:
        journey = parse_state(menu, state)
        if user_input is None:
            return _new_dial(menu, journey, known)
        if journey is None:  # state lost (Redis flushed) or corrupted mid-session: start over
            return _fresh(menu, known)
        return _answer(menu, journey, clean_input(user_input))
    except Exception as err:  # noqa: BLE001  a reporter must never see a crash
        log.error("menu step failed (%s); restarting the journey", type(err).__name__)
        return _fresh(menu, known)


def _new_dial(menu: Menu, journey: Journey | None, language: str | None) -> StepResult:
    if journey and _has_progress(menu, journey):
        saved = journey.resume_to or (journey.screen, journey.page)
        return _show(menu, replace(journey, screen=menu.resume, page=0, resume_to=saved))
    return _fresh(menu, (journey.language if journey else None) or language)


def _has_progress(menu: Menu, journey: Journey) -> bool:
    """Worth resuming: something was answered beyond the language (or the offer was pending)."""
    return journey.screen == menu.resume or any(k != LANGUAGE_KEY for k in journey.answers)


def _fresh(menu: Menu, language: str | None) -> StepResult:
    """A new journey: the language screen, or straight to home when the language is known."""
    if language is None:
        return _show(menu, Journey(screen=menu.start))
    return _show(menu, Journey(screen=menu.home, history=((menu.start, 0),), answers={LANGUAGE_KEY: language}))


def _answer(menu: Menu, journey: Journey, text: str) -> StepResult:
    screen = menu.screens[journey.screen]
    if screen.kind == "resume":
        return _on_resume(menu, journey, screen, text)
    if text == HOME:
        return _fresh(menu, journey.language) if journey.language else _invalid(menu, journey)
    if text == BACK:
        return _go_back(menu, journey)
    if screen.kind == "text":
        return _on_text(menu, journey, screen, text)
    if screen.kind == "list":
        return _on_list(menu, journey, screen, text)
    return _on_option(menu, journey, screen, _option(screen, text))


def _go_back(menu: Menu, journey: Journey) -> StepResult:
    if journey.page > 0:
        return _show(menu, replace(journey, page=journey.page - 1))
    if not journey.history:
        return _invalid(menu, journey)
    (screen, page), history = journey.history[-1], journey.history[:-1]
    return _show(menu, replace(journey, screen=screen, page=page, history=history))


def _on_resume(menu: Menu, journey: Journey, screen: Screen, text: str) -> StepResult:
    option = _option(screen, text)
    if option and option.action == "continue":
        (saved, page) = journey.resume_to
        return _show(menu, replace(journey, screen=saved, page=page, resume_to=None))
    if (option and option.action == "restart") or text == HOME:
        return _fresh(menu, journey.language)
    return _invalid(menu, journey)


def _on_text(menu: Menu, journey: Journey, screen: Screen, text: str) -> StepResult:
    if not text:
        return _invalid(menu, journey, hint="hint.empty")
    answer = None if text == SKIP else text[:screen.max_len].strip()
    return _advance(menu, journey, screen.next, {screen.save_as: answer})


def _on_list(menu: Menu, journey: Journey, screen: Screen, text: str) -> StepResult:
    if text == MORE:  # wraps from the last page back to the first
        pages = menu.page_count(screen, journey.answers)
        return _show(menu, replace(journey, page=(journey.page + 1) % pages))
    items = menu.items(screen.source, journey.answers)
    # Numbers are stable across pages, so any item number is accepted on any page.
    if len(text) <= MAX_CHOICE_LEN and text.isdecimal() and text.isascii() and 1 <= int(text) <= len(items):
        return _advance(menu, journey, screen.next, {screen.save_as: items[int(text) - 1].value})
    return _invalid(menu, journey)


def _on_option(menu: Menu, journey: Journey, screen: Screen, option: Option | None) -> StepResult:
    if option is None:
        return _invalid(menu, journey)
    answer = {screen.save_as: option.value} if screen.save_as else {}
    effects = ({"type": "remember_language", "language": option.value},) if screen.save_as == LANGUAGE_KEY else ()
    result = _advance(menu, journey, option.next, answer)
    return replace(result, effects=effects + result.effects)


def _option(screen: Screen, text: str) -> Option | None:
    return next((o for o in screen.options if o.key == text), None)


def _advance(menu: Menu, journey: Journey, target: str, answer: dict) -> StepResult:
    """Record the answer, remember where we were (for "0"), and show the next screen."""
    answers = {**journey.answers, **answer}
    history = journey.history + ((journey.screen, journey.page),)
    return _enter(menu, Journey(screen=target, history=history, answers=answers))


def _enter(menu: Menu, journey: Journey) -> StepResult:
    screen = menu.screens[journey.screen]
    if screen.kind == "end":
        return _finish(menu, journey, screen)
    items = menu.items(screen.source, journey.answers) if screen.kind == "list" else ()
    if screen.auto_pick_single and len(items) == 1:
        # Not pushed on the history: "0" from the next screen skips back over it.
        answers = {**journey.answers, screen.save_as: items[0].value}
        return _enter(menu, replace(journey, screen=screen.next, answers=answers))
    return _show(menu, journey)


def _finish(menu: Menu, journey: Journey, screen: Screen) -> StepResult:
    language = journey.language or menu.default_language
    effects: tuple[dict, ...] = ()
    if screen.effect == "submit_report":
        if any(key not in journey.answers for key in menu.answer_keys):  # only a forged state gets here
            return _fresh(menu, journey.language)
        effects = ({"type": "submit_report", "answers": {k: journey.answers[k] for k in menu.answer_keys}},)
    return StepResult(reply=render(menu, screen, language), end=True, state={}, effects=effects)


def _show(menu: Menu, journey: Journey, hint: str | None = None) -> StepResult:
    screen = menu.screens[journey.screen]
    language = journey.language or menu.default_language
    reply = render(menu, screen, language, page=journey.page, answers=journey.answers, hint=hint)
    return StepResult(reply=reply, end=False, state=journey.to_state(menu), effects=())


def _invalid(menu: Menu, journey: Journey, hint: str = "hint.invalid") -> StepResult:
    """Same screen, same page, with a one-line hint on top; never ends the session."""
    return _show(menu, journey, hint=hint)
