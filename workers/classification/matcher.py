"""Find lexicon terms in folded words: a trie over word *symbols*.

A message word can stand for several lexicon words: itself, the prefix patterns it starts with
("attaquees" -> "attaq*"), an SMS abbreviation's expansion ("ds" -> "dans"), or, when it is
unknown, the lexicon word one typo away ("attaqe" -> "attaq*"). Symbols are computed once
per distinct word and cached, so the cost per message is a few dict probes per word.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .lexicon import Lexicon, Payload

_END = "$"
_MIN_TYPO_LENGTH = 5   # shorter words are too often another real word one letter away
_NEGATION_WINDOW = 3


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    payloads: frozenset[Payload]
    negated: bool


class Matcher:
    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.trie: dict = {}
        self.exact: set[str] = set()
        self.prefixes: dict[int, set[str]] = {}  # length -> prefixes of that length
        self.typos: dict[str, str] = {}          # deletion variant -> symbol
        for key, payloads in lexicon.terms.items():
            self._insert(key, frozenset(payloads))
        self._prefix_lengths = sorted(self.prefixes, reverse=True)
        self.symbols = lru_cache(maxsize=65536)(self._symbols)
        self._inherit_word_signals()

    def _inherit_word_signals(self) -> None:
        """A phrase keeps the signals and tags of its words: the longest match 'trafic d armes'
        must still say 'weapons', which the word 'armes' alone would have said."""
        for key in self.lexicon.terms:
            if len(key) < 2:
                continue
            inherited = set()
            for word in key:
                for symbol in self.symbols(word.rstrip("*")):
                    inherited.update(p for p in self.lexicon.terms.get((symbol,), ())
                                     if p.kind != "category")
            if inherited:
                self._insert(key, frozenset(inherited))

    def _insert(self, key: tuple[str, ...], payloads: frozenset[Payload]) -> None:
        node = self.trie
        for word in key:
            node = node.setdefault(word, {})
            self._register(word)
        node[_END] = node.get(_END, frozenset()) | payloads

    def _register(self, word: str) -> None:
        if word.endswith("*"):
            self.prefixes.setdefault(len(word) - 1, set()).add(word[:-1])
        else:
            self.exact.add(word)
        stem = word.rstrip("*")
        if len(stem) >= _MIN_TYPO_LENGTH:
            for variant in _deletions(stem):
                self.typos.setdefault(variant, word)

    def expand(self, words: list[str]) -> list[str]:
        """Replace SMS abbreviations by the words they stand for ('ds' -> 'dans')."""
        expanded: list[str] = []
        for word in words:
            expanded.extend(self.lexicon.abbreviations.get(word, (word,)))
        return expanded

    def _symbols(self, word: str) -> tuple[str, ...]:
        found = [word] if word in self.exact else []
        found += [word[:n] + "*" for n in self._prefix_lengths
                  if n <= len(word) and word[:n] in self.prefixes[n]]
        if not found and len(word) >= _MIN_TYPO_LENGTH and word not in self.lexicon.plain_words:
            found = self._typo_symbols(word)
        return tuple(found)  # empty: the word is in no term, no need to look further

    def _typo_symbols(self, word: str) -> list[str]:
        """The lexicon word or pattern one typo away ('attaqe' -> 'attaq*', 'viollee' -> 'violee').

        The deletion index proposes candidates cheaply; each is then checked for a true single
        edit, because two deletions can join unrelated words ('apres' and 'rapes')."""
        for variant in _deletions(word):
            symbol = self.typos.get(variant)
            if symbol and _one_typo(word, symbol):
                return [symbol]
        return []

    def find(self, words: list[str]) -> list[Match]:
        """Longest non-overlapping term matches, each flagged if a negator precedes it."""
        symbols = [self.symbols(word) for word in words]
        matches: list[Match] = []
        position = 0
        while position < len(words):
            if not symbols[position]:  # most words are in no term at all
                position += 1
                continue
            end, payloads = self._longest_at(symbols, position)
            if payloads:
                matches.append(Match(position, end, payloads, self._negated(words, position)))
                position = end
            else:
                position += 1
        return matches

    def _longest_at(self, symbols, start: int) -> tuple[int, frozenset[Payload]]:
        best_end, best = start, frozenset()
        frontier = [self.trie]
        position = start
        while frontier and position < len(symbols):
            frontier = [node[s] for node in frontier for s in symbols[position] if s in node]
            position += 1
            ended = [node[_END] for node in frontier if _END in node]
            if ended:  # 'passeurs' is both 'passeur*' and 'passe*': keep what both say
                best_end, best = position, frozenset().union(*ended)
        return best_end, best

    def _negated(self, words: list[str], start: int) -> bool:
        """'pas d'attaque', 'no one was killed', 'u ma mogo faga': a negator shortly before."""
        negators = self.lexicon.negators
        for j in range(start - 1, max(-1, start - 1 - _NEGATION_WINDOW), -1):
            if words[j] in self.lexicon.clause_breaks:
                return False
            if (words[j],) in negators or (j > 0 and (words[j - 1], words[j]) in negators):
                return True
        return False


def _one_typo(word: str, symbol: str) -> bool:
    """One substitution, insertion, deletion or swap; a pattern is compared on its stem."""
    stem = symbol.rstrip("*")
    if symbol.endswith("*"):
        return len(word) > len(stem) and _edit_distance_at_most_one(word[:len(stem)], stem)
    return _edit_distance_at_most_one(word, stem)


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) <= 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                                   and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}
