"""Keep outbound text GSM-7 (reference/protocols.md §3): one segment where one will do."""
from __future__ import annotations

import unicodedata

import gsm0338  # noqa: F401  registers the "gsm03.38" codec

_SUBSTITUTES = {
    "ç": "c", "œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "«": '"', "»": '"', "“": '"',
    "”": '"', "…": "...", "–": "-", "—": "-", "\u00a0": " ", "\u202f": " ",
    # Bambara letters: the pre-reform and Senegalese spellings are GSM-7.
    "ɛ": "è", "ɔ": "ò", "ɲ": "ñ", "ŋ": "ng", "Ɛ": "E", "Ɔ": "O", "Ɲ": "Ñ", "Ŋ": "Ng",
}
_SUBSTITUTED = frozenset(_SUBSTITUTES)
_EXTENSION = set("^{}\\[~]|€\f")
SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153


def is_gsm7(text: str) -> bool:
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


def to_gsm7(text: str) -> str:
    """Transliterate to GSM-7; characters with no sensible substitute become '?'."""
    if _SUBSTITUTED.isdisjoint(text) and is_gsm7(text):    # the usual case: nothing to change
        return text
    out = []
    for ch in text:
        ch = _SUBSTITUTES.get(ch, ch)
        if not is_gsm7(ch):
            ch = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            ch = ch if ch and is_gsm7(ch) else "?"
        out.append(ch)
    return "".join(out)


def septets(text: str) -> int:
    return sum(2 if ch in _EXTENSION else 1 for ch in text)


def segment_count(text: str) -> int:
    """Segments for a GSM-7 text (UCS-2 texts are counted at 70/67 characters)."""
    if is_gsm7(text):
        size, single, multi = septets(text), SINGLE_SEGMENT, MULTI_SEGMENT
    else:
        size, single, multi = len(text), 70, 67
    return 1 if size <= single else -(-size // multi)


def fit(text: str, limit: int = SINGLE_SEGMENT) -> str:
    """Cut a GSM-7 text to `limit` septets, ending with '...' when cut."""
    if septets(text) <= limit:
        return text
    budget, cut = limit - 3, []
    for ch in text:
        budget -= septets(ch)
        if budget < 0:
            break
        cut.append(ch)
    return "".join(cut).rstrip() + "..."
