"""Find place names in a message: scan word n-grams against the index, then keep a name only
when the evidence that it is a place outweighs the chance that it is an ordinary word.

Why a score and not a yes/no rule: "Gao" alone is surely the town, "faga" ("kill" in Bambara)
is also a village, "Kolo" after "à" and with a capital is probably the village. Evidence adds up:
how prominent the place is (region/cercle > commune > village), a locative cue before or after
it ("à X", "près de X", "near X", Bambara "X la"), capitalisation in a text that uses case,
length, exactness of the spelling, and a penalty when the word is on the stop list.
"""
from __future__ import annotations

from dataclasses import dataclass

from workers.classification.text import Token, tokenize

from .gazetteer import TIER_LOCAL, TIER_MAJOR, NamedPlace
from .index import MAX_NAME_WORDS, Candidate, PlaceIndex

ACCEPT_SCORE = 3
_MOST_CONTEXT_CAN_ADD = 3 + 2  # strongest cue + a capital mid-sentence
_TIER_SCORE = {TIER_MAJOR: 3, TIER_LOCAL: 2}
_EXACTNESS_SCORE = {2: 0, 1: -1, 0: -2}

# Words before a name that say "a place follows", strongest first. Tuples are folded words.
STRONG_CUES = {("pres", "de"), ("pres", "du"), ("proche", "de"), ("vers",), ("village", "de"),
               ("village", "of"), ("localite", "de"), ("hameau", "de"), ("commune", "de"),
               ("cercle", "de"), ("region", "de"), ("quartier",), ("quartier", "de"), ("near",),
               ("outside",), ("town", "of"), ("village",), ("axe",), ("route", "de"), ("entre",),
               ("between",), ("around",), ("environs", "de"), ("alentours", "de"),
               ("secteur", "de"), ("zone", "de"), ("region", "of"), ("cercle", "of"),
               ("commune", "of"), ("district", "de"), ("district", "of"), ("localites", "de"),
               ("villages", "de"), ("villages", "of"), ("vicinity", "of"), ("area", "of")}
WEAK_CUES = {("a",), ("au",), ("in",), ("at",), ("from",), ("to",), ("sur",), ("dans",)}
FAINT_CUES = {("de",), ("du",), ("d",)}  # "de X" is as often "vol de bétail" as "gens de Niono"
# Bambara puts the locative after the name: "Sirakoro la", "Kati kono", "Boni kerefe".
POST_CUES = {"la", "kono", "fe", "kerefe", "mara", "dugu", "sira"}  # "X sira kan": on the X road
CHAIN_WORDS = {"et", "and", "ni", "ou", "or"}
# "région de Kayes" means the region, not the town, which the bare name would give.
LEVEL_CUES = {("region", "de"): "region", ("region", "of"): "region", ("cercle", "de"): "cercle",
              ("cercle", "of"): "cercle", ("commune", "de"): "commune", ("commune", "of"): "commune",
              ("district", "de"): "district", ("district", "of"): "district",
              ("quartier",): "quartier", ("quartier", "de"): "quartier"}


@dataclass(frozen=True)
class Mention:
    written: str
    candidates: tuple[NamedPlace, ...]
    level_hint: str | None
    start: int  # word positions
    end: int


def phrase_markers(stop: frozenset[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
    """Entries (first word, "") for every stop phrase, so one set probe tells whether a phrase
    can start at a word. They never equal a real key (no word is empty)."""
    return frozenset((entry[0], "") for entry in stop if len(entry) > 1)


def find_mentions(text: str, index: PlaceIndex, stop: frozenset[tuple[str, ...]]) -> list[Mention]:
    tokens = tokenize(text)
    words = [token.folded for token in tokens]
    mentions: list[Mention] = []
    position = 0
    while position < len(tokens):
        span = _stop_phrase_length(words, position, stop)
        if span:
            position += span
            continue
        if not index.longest_name_from(words[position]):
            position += 1
            continue
        mention = _best_mention_at(text, tokens, words, position, index, stop, mentions)
        if mention:
            mentions.append(mention)
            position = mention.end
        else:
            position += 1
    return mentions


def _stop_phrase_length(words: list[str], position: int, stop: frozenset) -> int:
    if (words[position], "") not in stop:  # see phrase_markers: cheap "no phrase starts here"
        return 0
    for length in range(min(MAX_NAME_WORDS, len(words) - position), 1, -1):
        if tuple(words[position:position + length]) in stop:
            return length
    return 0


def _best_mention_at(text, tokens, words, position, index, stop, previous) -> Mention | None:
    """Longest n-gram starting here that is a name and scores as a place."""
    longest = min(index.longest_name_from(words[position]), len(words) - position)
    if longest > 1 and not index.may_continue(words[position], words[position + 1]):
        longest = 1
    for length in range(longest, 0, -1):
        key = tuple(words[position:position + length])
        candidates = index.lookup(key)
        if not candidates:
            continue
        end = position + length
        static = _static_evidence(key, candidates, stop, index)
        if static + _MOST_CONTEXT_CAN_ADD < ACCEPT_SCORE:
            continue  # a common word that no context could make a place: skip the rest
        if static + _context_evidence(tokens, words, position, end, previous) >= ACCEPT_SCORE:
            written = text[tokens[position].start:tokens[end - 1].end]
            return Mention(written, tuple(c.named for c in candidates),
                           _level_hint(words, position), position, end)
    return None


def _static_evidence(key: tuple[str, ...], candidates: tuple[Candidate, ...],
                     stop: frozenset, index: PlaceIndex) -> int:
    """The part of the score that depends on the name only, memoised on the index (an index
    is always used with the same stop list, the one of its Gazetteer)."""
    score = index.static_scores.get(key)
    if score is None:
        score = _TIER_SCORE.get(min(c.named.tier for c in candidates), 0)
        score += _EXACTNESS_SCORE[max(c.exactness for c in candidates)]
        score += (len("".join(key)) >= 6) + (len(key) > 1)
        if key in stop or all((word,) in stop for word in key):
            score -= 4  # a capital and a cue together can still win: "à Diré", "à San"
        index.static_scores[key] = score
    return score


def _context_evidence(tokens: list[Token], words: list[str], start: int, end: int,
                      previous: list[Mention]) -> int:
    cue = max(_cue_before(words, start), _cue_after(words, end), _chained(words, start, previous))
    return cue + _capitalisation(tokens[start:end])


def _cue_before(words: list[str], start: int) -> int:
    for length in (3, 2, 1):
        if length > start:
            continue
        before = tuple(words[start - length:start])
        if before in STRONG_CUES:
            return 3
        if before in WEAK_CUES:
            return 2
        if before in FAINT_CUES:
            return 1
    return 0


def _cue_after(words: list[str], end: int) -> int:
    return 2 if end < len(words) and words[end] in POST_CUES else 0


def _chained(words: list[str], start: int, previous: list[Mention]) -> int:
    """'à Mopti et Sévaré', 'Boni-Hombori': a name right after a place is likely one too."""
    if not previous:
        return 0
    gap = start - previous[-1].end
    return 2 if gap == 0 or (gap == 1 and words[start - 1] in CHAIN_WORDS) else 0


def _capitalisation(name_tokens: list[Token]) -> int:
    if not all(token.capitalised for token in name_tokens):
        return 0
    # A capital at the start of a sentence says less: every first word has one.
    return 1 if name_tokens[0].sentence_start else 2


def _level_hint(words: list[str], start: int) -> str | None:
    for length in (2, 1):
        if length <= start and (level := LEVEL_CUES.get(tuple(words[start - length:start]))):
            return level
    return None
