"""Find place names in a message: scan word n-grams against the index, then keep a name only
when the evidence that it is a place outweighs the chance that it is an ordinary word.

Why a score and not a yes/no rule: "Gao" alone is surely the town, "faga" ("kill" in Bambara)
is also a village, "Kolo" after "à" and with a capital is probably the village. Evidence adds up:
how prominent the place is (region/cercle towns and notable localities > commune > village), a locative cue before or after
it ("à X", "près de X", "near X", Bambara "X la"), capitalisation in a text that uses case,
length, exactness of the spelling, and a penalty when the word is on the stop list.
"""
from __future__ import annotations

from dataclasses import dataclass

from workers.classification.text import Token, tokenize

from .gazetteer import TIER_LOCAL, TIER_MAJOR, TIER_URBAN, NamedPlace
from .index import MAX_NAME_WORDS, Candidate, PlaceIndex

ACCEPT_SCORE = 3
_MOST_CONTEXT_CAN_ADD = 3 + 2  # strongest cue + a capital mid-sentence
_TIER_SCORE = {TIER_MAJOR: 3, TIER_URBAN: 2, TIER_LOCAL: 2}
_EXACTNESS_SCORE = {2: 0, 1: -1, 0: -2}

# Words before a name that say "a place follows", strongest first. Tuples are folded words.
STRONG_CUES = {("pres", "de"), ("pres", "du"), ("proche", "de"), ("vers",), ("village", "de"),
               ("village", "of"), ("localite", "de"), ("hameau", "de"), ("commune", "de"),
               ("cercle", "de"), ("region", "de"), ("quartier",), ("quartier", "de"), ("near",),
               ("outside",), ("town", "of"), ("village",), ("axe",), ("route", "de"), ("entre",),
               ("between",), ("around",), ("environs", "de"), ("alentours", "de"),
               ("secteur", "de"), ("zone", "de"), ("region", "of"), ("cercle", "of"),
               ("commune", "of"), ("district", "de"), ("district", "of"), ("localites", "de"),
               ("villages", "de"), ("villages", "of"), ("vicinity", "of"), ("area", "of"),
               ("locality", "of"), ("hamlet", "of"), ("municipality", "of"), ("outskirts", "of"),
               ("proximite", "de"), ("loin", "de"), ("sortie", "de"), ("entree", "de"),
               ("commune", "rurale", "de"), ("commune", "urbaine", "de"),
               # distances and bearings: "à 15 km de X", "20 km north of X", "au sud-est de X"
               ("km", "de"), ("km", "from"), ("km", "of"), ("kilometres", "de"),
               ("kilometers", "from"), ("kilometres", "from"), ("nord", "de"), ("sud", "de"),
               ("est", "de"), ("ouest", "de"), ("nord", "est", "de"), ("nord", "ouest", "de"),
               ("sud", "est", "de"), ("sud", "ouest", "de"), ("north", "of"), ("south", "of"),
               ("east", "of"), ("west", "of"), ("northeast", "of"), ("northwest", "of"),
               ("southeast", "of"), ("southwest", "of"), ("north", "east", "of"),
               ("north", "west", "of"), ("south", "east", "of"), ("south", "west", "of")}
WEAK_CUES = {("a",), ("au",), ("in",), ("at",), ("from",), ("to",), ("sur",), ("dans",),
             # nouns whose complement is usually a place: "marché de X", "residents of X"
             ("marche", "de"), ("foire", "de"), ("mairie", "de"), ("prefecture", "de"),
             ("camp", "de"), ("poste", "de"), ("frontalier", "de"), ("habitants", "de"),
             ("population", "de"), ("populations", "de"), ("site", "de"), ("mine", "de"),
             ("gendarmerie", "de"), ("market", "of"), ("residents", "of"), ("inhabitants", "of"),
             ("people", "of"), ("camp", "of"), ("mine", "of"), ("site", "of"),
             # "attack on X", "raided X": the object of a raid is a place
             ("attack", "on"), ("attacks", "on"), ("raid", "on"), ("raids", "on"),
             ("assault", "on"), ("attacked",), ("raided",), ("stormed",), ("besieged",),
             ("attaque",), ("attaquent",), ("assiege",),
             # Bambara motion verbs take the place directly: "u nana Dioura", "ka bo Mopti"
             ("nana",), ("taara",), ("bora",), ("sera",), ("ka", "bo"), ("ka", "taa")}
FAINT_CUES = {("de",), ("du",), ("d",)}  # "de X" is as often "vol de bétail" as "gens de Niono"
# Bambara puts the locative after the name: "Sirakoro la", "Kati kono", "Boni kerefe".
POST_CUES = {"la", "kono", "fe", "kerefe", "mara", "dugu", "sira"}  # "X sira kan": on the X road
CHAIN_WORDS = {"et", "and", "ni", "ou", "or"}
# "région de Kayes" means the region, not the town, which the bare name would give.
LEVEL_CUES = {("region", "de"): "region", ("region", "of"): "region", ("cercle", "de"): "cercle",
              ("cercle", "of"): "cercle", ("commune", "de"): "commune", ("commune", "of"): "commune",
              ("district", "de"): "district", ("district", "of"): "district",
              ("quartier",): "quartier", ("quartier", "de"): "quartier",
              ("municipality", "of"): "commune", ("commune", "rurale", "de"): "commune",
              ("commune", "urbaine", "de"): "commune"}
# ... and so does "the Mopti region", "Douentza cercle" (English order).
POST_LEVEL_CUES = {"region": "region", "cercle": "cercle", "circle": "cercle",
                   "commune": "commune", "municipality": "commune", "district": "district"}


@dataclass(frozen=True)
class Mention:
    written: str
    candidates: tuple[NamedPlace, ...]
    level_hint: str | None
    start: int  # word positions
    end: int
    # What stands between the previous name and this one, when little does: its words and its
    # punctuation (("commune", "de"), "," in "Kori, commune de Dioungani"); None otherwise.
    # The resolver reads "X (Y)", "X, cercle de Y", "X in the Y region" as X placed in Y.
    gap: tuple[str, ...] | None = None
    joint: str = ""


def phrase_markers(stop: frozenset[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
    """Entries (first word, "") for every stop phrase, so one set probe tells whether a phrase
    can start at a word. They never equal a real key (no word is empty)."""
    return frozenset((entry[0], "") for entry in stop if len(entry) > 1)


def find_mentions(text: str, index: PlaceIndex, stop: frozenset[tuple[str, ...]]) -> list[Mention]:
    tokens = tokenize(text)
    words = [token.folded for token in tokens]
    lengths = index.name_lengths(words)
    mentions: list[Mention] = []
    if not any(lengths):
        return mentions  # most messages name no place, or only common words
    # Only words that start a name or a stop phrase need a look; the rest are passed over.
    starts = [i for i, n in enumerate(lengths) if n or (words[i], "") in stop]
    covered = 0  # words before this are inside a stop phrase or a mention already
    for position in starts:
        if position < covered:
            continue
        span = _stop_phrase_length(words, position, stop)
        if span:
            covered = position + span
        elif lengths[position]:
            mention = _best_mention_at(text, tokens, words, position, index, stop, mentions)
            if mention:
                mentions.append(mention)
                covered = mention.end
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
        if static + _context_evidence(text, tokens, words, position, end, previous) \
                >= ACCEPT_SCORE:
            written = text[tokens[position].start:tokens[end - 1].end]
            return Mention(written, tuple(c.named for c in candidates),
                           _level_hint(text, tokens, words, position, end), position, end,
                           *_gap(text, tokens, words, position, previous))
    return None


_MAX_GAP = 4  # "X, dans le cercle de Y"


def _gap(text: str, tokens: list[Token], words: list[str], start: int,
         previous: list[Mention]) -> tuple[tuple[str, ...] | None, str]:
    if not previous or start - previous[-1].end > _MAX_GAP:
        return None, ""
    between = text[tokens[previous[-1].end - 1].end:tokens[start].start]
    punctuation = "".join(ch for ch in between if not (ch.isalnum() or ch.isspace() or ch in "'’"))
    return tuple(words[previous[-1].end:start]), punctuation


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


def _context_evidence(text: str, tokens: list[Token], words: list[str], start: int, end: int,
                      previous: list[Mention]) -> int:
    cue = max(_cue_before(words, start), _cue_after(text, tokens, words, end),
              _chained(words, start, previous))
    if _inside_other_name(text, tokens, start, previous):
        return cue
    return cue + _capitalisation(tokens[start:end])


def _inside_other_name(text: str, tokens: list[Token], start: int,
                       previous: list[Mention]) -> bool:
    """'Amadou Diallo', 'Task Force Takuba': right after another capitalised word that is not a
    place, a capital marks the rest of a person's or an operation's name, not a place."""
    if start == 0 or not tokens[start - 1].capitalised:
        return False
    if previous and previous[-1].end == start:
        return False  # "Mopti Sévaré": the word before is a place itself
    return not text[tokens[start - 1].end:tokens[start].start].strip()


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


def _cue_after(text: str, tokens: list[Token], words: list[str], end: int) -> int:
    if _post_level(text, tokens, words, end):
        return 3
    return 2 if end < len(words) and words[end] in POST_CUES else 0


def _post_level(text: str, tokens: list[Token], words: list[str], end: int) -> str | None:
    """'Douentza cercle', 'the Mopti region' -- but not 'Boni, cercle de Bandiagara', where the
    level word belongs to the next name."""
    if end >= len(words) or words[end] not in POST_LEVEL_CUES:
        return None
    if text[tokens[end - 1].end:tokens[end].start].strip():
        return None  # punctuation between the name and the level word
    if end + 1 < len(words) and words[end + 1] in {"de", "du", "d", "of"}:
        return None
    return POST_LEVEL_CUES[words[end]]


def _chained(words: list[str], start: int, previous: list[Mention]) -> int:
    """'à Mopti et Sévaré', 'Boni-Hombori': a name right after a place is likely one too."""
    if not previous:
        return 0
    gap = start - previous[-1].end
    return 2 if gap == 0 or (gap == 1 and words[start - 1] in CHAIN_WORDS) else 0


def _capitalisation(name_tokens: list[Token]) -> int:
    # The "N" of "N'Doukala" is one letter, never counted as capitalised: judge the rest.
    words = [token for token in name_tokens if token.end - token.start > 1] or name_tokens
    if not all(token.capitalised for token in words):
        return 0
    # A capital at the start of a sentence says less: every first word has one.
    return 1 if name_tokens[0].sentence_start else 2


def _level_hint(text: str, tokens: list[Token], words: list[str], start: int,
                end: int) -> str | None:
    for length in (3, 2, 1):
        if length <= start and (level := LEVEL_CUES.get(tuple(words[start - length:start]))):
            return level
    return _post_level(text, tokens, words, end)
