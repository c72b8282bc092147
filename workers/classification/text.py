"""Text folding and tokenising shared by the classifier and the place recogniser.

SMS in Mali arrive with or without accents, in any case, and Bambara is typed either with
its own letters (ɛ ɔ ɲ ŋ) or with their usual ASCII stand-ins (e o ny ng). Folding both to
the same ASCII form lets one lexicon entry match every way people write a word.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Bambara letters have no Unicode decomposition, so NFKD alone would keep them.
_BAMBARA_TO_ASCII = str.maketrans({"ɛ": "e", "ɔ": "o", "ɲ": "ny", "ŋ": "ng", "Ɛ": "e", "Ɔ": "o",
                                   "Ɲ": "ny", "Ŋ": "ng", "œ": "oe", "æ": "ae", "ß": "ss"})
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = frozenset(".!?:;\n")


class Token(NamedTuple):  # a tuple: built for every word of every message, so kept cheap
    folded: str          # lower-case ASCII form used for every lookup
    capitalised: bool    # written with an upper-case first letter (and not all caps)
    sentence_start: bool  # first word of the text or of a sentence
    start: int           # character span in the original text, to quote names as written
    end: int


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower-case, strip accents, map Bambara letters: 'Ségou' -> 'segou', 'kɛlɛ' -> 'kele'."""
    lowered = word.lower().translate(_BAMBARA_TO_ASCII)
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_phrase(text: str) -> tuple[str, ...]:
    """The folded words of a phrase, as used for lexicon and gazetteer keys."""
    return tuple(fold(m.group()) for m in _WORD.finditer(text))


# The pipeline classifies a text and then looks for its places: a tiny cache lets the second
# step reuse the first one's tokens (it is far too small to hold a whole batch).
@lru_cache(maxsize=8)
def tokenize(text: str) -> tuple[Token, ...]:
    """Split into words, keeping the capitalisation cue the place recogniser needs.

    Capitalisation is only a signal when the writer uses case at all: in an all-caps or
    all-lower-case SMS every word looks the same, so no word counts as capitalised.
    """
    case_is_informative = text != text.lower() and text != text.upper()
    tokens = []
    previous_end = 0
    make = tuple.__new__  # skips the NamedTuple constructor's keyword handling: hot loop
    for match in _WORD.finditer(text):
        word = match.group()
        start, end = match.span()
        starts_sentence = not tokens or not _SENTENCE_END.isdisjoint(text[previous_end:start])
        capitalised = case_is_informative and word[0].isupper() and (
            not word.isupper() or _is_acronym(word))
        previous_end = end
        tokens.append(make(Token, (fold(word), capitalised, starts_sentence, start, end)))
    return tuple(tokens)


def _is_acronym(word: str) -> bool:
    # "GAO", "FAMA" inside a mixed-case sentence are written that way on purpose.
    return len(word) >= 3 and word.isupper()

