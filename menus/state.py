"""The session state the caller stores between hops, and its strict validation.

State shape (JSON; the caller keeps it in Redis under the phone number, TTL 15 min):

    {"v": 1, "menu": "report", "screen": "cercle", "page": 0,
     "history": [["language", 0], ["category", 0], ["region", 1]],   # screens to go back to
     "answers": {"language": "fr", "category": "violent_extremism", "region_pcode": "ML05"},
     "resume_to": null}            # [screen, page] while the resume offer is on screen

Anything else (old versions, another menu, hand edits, corruption) parses as None and the
engine starts over, so a bad state can never crash a hop or submit a malformed report.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from menus.model import LANGUAGE_KEY, Menu, Screen

STATE_VERSION = 1
MAX_HISTORY = 50  # far more than any journey needs; bounds a corrupted state


@dataclass(frozen=True)
class Journey:
    screen: str
    page: int = 0
    history: tuple[tuple[str, int], ...] = ()
    answers: dict = field(default_factory=dict)
    resume_to: tuple[str, int] | None = None

    @property
    def language(self) -> str | None:
        return self.answers.get(LANGUAGE_KEY)

    def to_state(self, menu: Menu) -> dict:
        return {"v": STATE_VERSION, "menu": menu.id, "screen": self.screen, "page": self.page,
                "history": [list(h) for h in self.history], "answers": dict(self.answers),
                "resume_to": list(self.resume_to) if self.resume_to else None}


def parse_state(menu: Menu, state) -> Journey | None:
    """A Journey if `state` is a well-formed, consistent state of this menu; otherwise None."""
    try:
        return _parse(menu, state)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _parse(menu: Menu, state) -> Journey | None:
    if not isinstance(state, dict) or state.get("v") != STATE_VERSION or state.get("menu") != menu.id:
        return None
    answers = state.get("answers")
    if not isinstance(answers, dict) or not all(_answer_ok(menu, k, v, answers) for k, v in answers.items()):
        return None
    position = _position(menu, [state.get("screen"), state.get("page")], answers)
    history = state.get("history")
    if position is None or not isinstance(history, list) or len(history) > MAX_HISTORY:
        return None
    steps = [_position(menu, h, answers) for h in history]
    resume_to = _resume_to(menu, position, state.get("resume_to"), answers)
    if None in steps or resume_to is False:
        return None
    return Journey(position[0], position[1], tuple(steps), dict(answers), resume_to)


def _position(menu: Menu, pair, answers: dict) -> tuple[str, int] | None:
    """(screen, page) if the pair names a screen a journey can rest on, and a page it has."""
    if not (isinstance(pair, list) and len(pair) == 2):
        return None
    screen_id, page = pair
    screen = menu.screens.get(screen_id) if isinstance(screen_id, str) else None
    if screen is None or screen.kind == "end" or type(page) is not int:
        return None
    return (screen_id, page) if 0 <= page < menu.page_count(screen, answers) else None


def _resume_to(menu: Menu, position: tuple[str, int], raw, answers: dict):
    """The saved place behind the resume offer; False when inconsistent."""
    on_resume = menu.screens[position[0]].kind == "resume"
    if not on_resume:
        return None if raw is None else False
    saved = _position(menu, raw, answers)
    if saved is None or menu.screens[saved[0]].kind == "resume":
        return False
    return saved


def _answer_ok(menu: Menu, key, value, answers: dict) -> bool:
    screen = next((s for s in menu.screens.values() if s.save_as == key), None)
    return screen is not None and value_allowed(menu, screen, value, answers)


def value_allowed(menu: Menu, screen: Screen, value, answers: dict) -> bool:
    """Whether `value` is an answer this screen could have produced."""
    if screen.kind == "text":
        return value is None or (isinstance(value, str) and 0 < len(value) <= screen.max_len)
    if screen.kind == "list":
        return any(item.value == value for item in menu.items(screen.source, answers))
    return any(o.value == value and type(o.value) is type(value) for o in screen.options)
