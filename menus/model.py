"""The menu as plain frozen data, and the reserved navigation keys shared by every menu."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

# Same keys on every screen (protocols.md §6): users learn numbers, not words.
BACK = "0"        # previous screen (or previous page of a list)
HOME = "00"       # first real screen, keeping the language
MORE = "99"       # next page of a long list ("9" would collide with item 9)
SKIP = "1"        # on a free-text screen: skip the question
RESERVED_KEYS = (BACK, HOME, MORE)

MAX_SCREEN = 182  # GSM-7 septets in one USSD string (protocols.md §2.1)
REF_EXAMPLE = "X" * 8  # a realistic reference code, for length checks of "{ref}"
ECHO_LEN = 20     # free text echoed on the confirm screen is cut to this
MAX_TEXT = 500    # upper bound for any free-text answer

KINDS = ("choice", "list", "text", "confirm", "end", "resume")
NAVS = ("full", "language", "none")
EFFECTS = ("submit_report",)
ACTIONS = ("continue", "restart")
AREA_SOURCES = ("regions", "cercles")  # built in, from areas.yaml; other sources are `lists:`
LANGUAGE_KEY = "language"              # the answer the engine renders in and remembers
# Strings the engine itself shows, whatever the menu says.
ENGINE_KEYS = ("nav.full", "nav.language", "nav.more", "hint.invalid", "hint.empty")


@dataclass(frozen=True)
class Problem:
    """One finding of the checker; str() is a stable one-line message."""
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


@dataclass(frozen=True)
class Option:
    key: str
    label: str                 # string key
    next: str | None = None
    value: object = None
    action: str | None = None  # resume screens only


@dataclass(frozen=True)
class Item:
    """One entry of a numbered list: label is a string key, or a literal place name."""
    value: str
    label: str
    literal: bool = False


@dataclass(frozen=True)
class Screen:
    id: str
    kind: str
    prompt: str
    nav: str = "full"
    save_as: str | None = None
    options: tuple[Option, ...] = ()
    source: str | None = None
    next: str | None = None
    max_len: int = MAX_TEXT
    auto_pick_single: bool = False
    effect: str | None = None


@dataclass(frozen=True)
class Region:
    pcode: str
    name: str
    cercles: tuple[Item, ...]


@dataclass(frozen=True)
class Menu:
    id: str
    languages: tuple[str, ...]
    default_language: str
    page_size: int
    start: str
    home: str
    resume: str
    screens: dict[str, Screen]
    lists: dict[str, tuple[Item, ...]] = field(default_factory=dict)
    regions: tuple[Region, ...] = ()
    strings: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def answer_keys(self) -> tuple[str, ...]:
        """Every answer a journey collects, in screen order (the submit effect's keys)."""
        return tuple(s.save_as for s in self.screens.values() if s.save_as)

    def items(self, source: str | None, answers: dict) -> tuple[Item, ...]:
        """The entries of a list screen; cercles depend on the region already answered."""
        if source == "regions":
            return self._region_items
        if source == "cercles":
            region = next((r for r in self.regions if r.pcode == answers.get("region_pcode")), None)
            return region.cercles if region else ()
        return self.lists.get(source or "", ())

    @cached_property
    def _region_items(self) -> tuple[Item, ...]:
        """Built once per menu: items() runs several times on every hop."""
        return tuple(Item(r.pcode, r.name, literal=True) for r in self.regions)

    def page_count(self, screen: Screen, answers: dict) -> int:
        if screen.kind != "list":
            return 1
        return max(1, -(-len(self.items(screen.source, answers)) // self.page_size))

    def text(self, language: str, key: str) -> str:
        """A string in a language; a missing one falls back to the key (the checker flags it)."""
        return self.strings.get(language, {}).get(key, key)
