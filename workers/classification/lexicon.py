"""Load the per-language lexicons (lexicons/*.yaml) and the shared rules (lexicons/rules.yaml)
into one matcher. Staff extend the YAML files; no code changes are needed.

Term syntax in the YAML: words separated by spaces, folded like the messages (accents and case
do not matter); a trailing `*` on a word matches any word starting with it ("attaq*" matches
"attaque", "attaquer", "attaqués").
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from .text import fold_phrase

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
LANGUAGES = ("fr", "en", "bm")
SIGNALS = ("danger_now", "weapons", "casualties", "abduction")


@dataclass(frozen=True)
class Payload:
    kind: str  # "category" | "tag" | "signal"
    name: str
    weight: float = 0.0


@dataclass(frozen=True)
class Combination:
    """Extra weight for a category when tags co-occur, e.g. military + abuse -> forces' conduct."""
    category: str
    weight: float
    all_of: tuple[tuple[str, int], ...]  # (tag, how many different terms must match it)
    none_of: tuple[str, ...] = ()


@dataclass
class Lexicon:
    terms: dict[tuple[str, ...], set[Payload]] = field(default_factory=dict)
    abbreviations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    negators: set[tuple[str, ...]] = field(default_factory=set)  # words or two-word phrases
    clause_breaks: set[str] = field(default_factory=set)
    plain_words: set[str] = field(default_factory=set)  # real words never "corrected" as typos
    combinations: list[Combination] = field(default_factory=list)

    def add(self, term: str, payload: Payload) -> None:
        key = _term_key(term)
        if key:
            self.terms.setdefault(key, set()).add(payload)


def _term_key(term: str) -> tuple[str, ...]:
    words = fold_phrase(term)
    # fold_phrase drops the '*' (not a word character); put it back on the words that had it.
    starred = [part.endswith("*") for part in term.split()]
    if len(starred) != len(words):
        return words
    return tuple(word + "*" if star else word for word, star in zip(words, starred))


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    rules = _read_yaml(LEXICON_DIR / "rules.yaml")
    weights: dict[str, float] = rules["weights"]
    lexicon = Lexicon(clause_breaks=_word_set(rules.get("clause_breaks")),
                      plain_words=_word_set(rules.get("plain_words")))
    for language in LANGUAGES:
        _merge_language(lexicon, _read_yaml(LEXICON_DIR / f"{language}.yaml"), weights)
    lexicon.combinations = [_combination(entry) for entry in rules.get("combinations", [])]
    return lexicon


def _merge_language(lexicon: Lexicon, data: dict, weights: dict[str, float]) -> None:
    for short, full in (data.get("abbreviations") or {}).items():
        lexicon.abbreviations[fold_phrase(str(short))[0]] = fold_phrase(str(full))
    lexicon.negators.update(fold_phrase(negator) for negator in data.get("negators", []))
    for category, strengths in (data.get("categories") or {}).items():
        for strength, terms in strengths.items():
            for term in terms:
                lexicon.add(term, Payload("category", category, weights[strength]))
    for kind in ("tags", "signals"):
        for name, terms in (data.get(kind) or {}).items():
            for term in terms:
                lexicon.add(term, Payload(kind[:-1], name))


def _combination(entry: dict) -> Combination:
    needed = Counter(entry["all"])  # a tag listed twice needs two different terms
    return Combination(entry["category"], float(entry["weight"]), tuple(needed.items()),
                       tuple(entry.get("none", ())))


def _word_set(entries: list[str] | None) -> set[str]:
    return set(fold_phrase(" ".join(entries or [])))


def _read_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def single_words() -> set[str]:
    """Every plain word the lexicons know (the place recogniser treats them as non-places)."""
    lexicon = load_lexicon()
    words = {word.rstrip("*") for key in lexicon.terms for word in key if len(key) == 1}
    words.update(lexicon.abbreviations)
    return words
