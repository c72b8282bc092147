"""Hash indexes from folded name n-grams to places.

Every lookup is a dict probe on a tuple of words, so recognition time depends on the length of
the message, not on the number of places (833 admin units or 18,769 settlements alike).
Three keys per name, tried in order of trust: the exact folded spelling, a phonetic skeleton
(ou/u, dj/j, doubled letters… "Tombouctou" ~ "Tomboctu"), and, for administrative names only,
one typo away from the skeleton.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from workers.classification.text import fold_phrase

from .gazetteer import TIER_LOCAL, NamedPlace

Key = tuple[str, ...]
MAX_NAME_WORDS = 5
_MIN_FUZZY_LENGTH = 6  # below this one typo turns too many words into place names

_SKELETON_RULES = [(re.compile(p), r) for p, r in (
    (r"tch", "c"), (r"dj|dy", "j"), (r"ou", "u"), (r"ch", "sh"), (r"ph", "f"), (r"qu", "k"),
    (r"g(u)(?=[ei])", "g"), (r"c(?=[aou])", "k"), (r"([kgrt])h", r"\1"), (r"y", "i"), (r"w", "u"),
    (r"(.)\1+", r"\1"))]


@lru_cache(maxsize=262144)
def skeleton(word: str) -> str:
    """A spelling-insensitive form of one folded word: 'djenne' and 'jene' -> 'jen'."""
    for pattern, replacement in _SKELETON_RULES:
        word = pattern.sub(replacement, word)
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


@dataclass(frozen=True)
class Candidate:
    named: NamedPlace
    exactness: int  # 2 exact spelling, 1 phonetic skeleton, 0 one typo away


@dataclass
class PlaceIndex:
    exact: dict[Key, list[NamedPlace]] = field(default_factory=lambda: defaultdict(list))
    phonetic: dict[Key, list[NamedPlace]] = field(default_factory=lambda: defaultdict(list))
    typo: dict[str, list[NamedPlace]] = field(default_factory=lambda: defaultdict(list))
    first_words: dict[str, int] = field(default_factory=dict)  # word -> longest name it starts
    _single: dict[str, tuple[Candidate, ...]] = field(default_factory=dict)  # per-word memo
    _starts: dict[str, int] = field(default_factory=dict)  # per-word memo of longest_name_from
    static_scores: dict[Key, int] = field(default_factory=dict)  # memo for the recogniser
    first_pairs: set[tuple[str, str]] = field(default_factory=set)  # first two words of names

    @classmethod
    def build(cls, named_places: list[NamedPlace]) -> PlaceIndex:
        index = cls()
        for named in named_places:
            for key in _keys_for(named):
                index._add(key, named)
        return index

    def longest_name_from(self, word: str) -> int:
        """How many words the longest name starting with this word has (0: none does, and
        no admin name is one typo away either). Memoised: most words of a message are not
        names, and this one dict probe is all they cost."""
        longest = self._starts.get(word)
        if longest is None:
            longest = max(self.first_words.get(word, 0), self.first_words.get(skeleton(word), 0))
            if not longest and self.lookup((word,)):
                longest = 1  # a typo of an admin name
            self._starts[word] = longest
        return longest

    def name_lengths(self, words: list[str]) -> list[int]:
        """longest_name_from for every word of a message, with the memo probed inline: this
        runs on every word of every message."""
        memo = self._starts
        lengths = [memo.get(word) for word in words]
        if None in lengths:
            lengths = [self.longest_name_from(word) if n is None else n
                       for word, n in zip(words, lengths)]
        return lengths

    def may_continue(self, first: str, second: str) -> bool:
        """Could a name of two or more words start with these two?"""
        return (first, second) in self.first_pairs or \
            (skeleton(first), skeleton(second)) in self.first_pairs

    def lookup(self, words: Key) -> tuple[Candidate, ...]:
        """Candidates for one n-gram of folded words, best spelling match only."""
        if len(words) == 1:  # most probes are single words, and words repeat across messages
            cached = self._single.get(words[0])
            if cached is None:
                cached = self._single[words[0]] = self._lookup(words)
            return cached
        return self._lookup(words)

    def _lookup(self, words: Key) -> tuple[Candidate, ...]:
        found = self.exact.get(words)
        if found:
            return tuple(Candidate(named, 2) for named in found)
        phonetic_key = tuple(skeleton(word) for word in words)
        found = self.phonetic.get(phonetic_key)
        if found:
            return tuple(Candidate(named, 1) for named in found)
        if len(words) == 1 and len(words[0]) >= _MIN_FUZZY_LENGTH:
            return self._one_typo_away(phonetic_key[0])
        return ()

    def _one_typo_away(self, word: str) -> tuple[Candidate, ...]:
        seen: dict[str, Candidate] = {}
        for variant in _deletions(word):
            for named in self.typo.get(variant, ()):
                seen.setdefault(named.place.pcode, Candidate(named, 0))
        return tuple(seen.values())

    def _add(self, key: Key, named: NamedPlace) -> None:
        _append_once(self.exact[key], named)
        _append_once(self.phonetic[tuple(skeleton(w) for w in key)], named)
        for first in (key[0], skeleton(key[0])):
            self.first_words[first] = max(self.first_words.get(first, 0), len(key))
        if len(key) > 1:
            self.first_pairs.add(key[:2])
            self.first_pairs.add((skeleton(key[0]), skeleton(key[1])))
        # Typos are only forgiven on admin names: few, distinctive and named the most.
        if named.tier <= TIER_LOCAL and len(key) == 1 and len(key[0]) >= _MIN_FUZZY_LENGTH:
            for variant in _deletions(skeleton(key[0])):
                _append_once(self.typo[variant], named)


def _keys_for(named: NamedPlace) -> set[Key]:
    keys = set()
    for name in named.names:
        key = fold_phrase(name)
        if not key or len(key) > MAX_NAME_WORDS:
            continue
        keys.add(key)
        if key[-1] == "commune" and len(key) > 1:  # "Kayes Commune" is also written "Kayes"
            keys.add(key[:-1])
        if any(len(word) == 1 for word in key) and len(key) > 1:  # N'Golobougou -> Ngolobougou
            keys.add(("".join(key),))
    return keys


def _deletions(word: str) -> set[str]:
    """The word and every form of it with one letter removed (symmetric-delete typo index)."""
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def _append_once(bucket: list[NamedPlace], named: NamedPlace) -> None:
    if not bucket or bucket[-1] is not named:
        bucket.append(named)
