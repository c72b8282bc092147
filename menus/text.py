"""Text helpers: clean user input, measure GSM-7 screens, echo user text safely, fill placeholders."""
from __future__ import annotations

import re
import unicodedata

import gsm0338  # noqa: F401  registers the "gsm03.38" codec used below

from menus.model import ECHO_LEN, MAX_TEXT

# Bound the work done on absurd input before cleaning it (a USSD string is ≤182 anyway).
MAX_RAW = 4 * MAX_TEXT
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ECHO_UNSAFE = re.compile(r"[^A-Za-z0-9 .,'/-]")
# Bambara letters have no decomposition; fold them the way SMS writers do (protocols.md §3).
_BAMBARA_ASCII = str.maketrans({"ɛ": "e", "ɔ": "o", "ɲ": "ny", "ŋ": "ng", "Ɛ": "E", "Ɔ": "O", "Ɲ": "Ny", "Ŋ": "Ng"})


def clean_input(raw) -> str:
    """One hop's input, trimmed, with control/format/unassigned characters turned into spaces.

    Anything that is not a string (a corrupted caller) counts as empty input.
    Characters such as '*' are kept: free text must survive verbatim.
    """
    if not isinstance(raw, str):
        return ""
    cut = raw[:MAX_RAW]
    return "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in cut).strip()


def non_gsm7(text: str) -> list[str]:
    """The characters of `text` that the GSM 03.38 alphabet cannot carry, in order, once each."""
    bad: list[str] = []
    for ch in text:
        try:
            ch.encode("gsm03.38")
        except UnicodeEncodeError:
            if ch not in bad:
                bad.append(ch)
    return bad


def septets(text: str) -> int:
    """Length on the air: extension characters ({, }, [, ...) take two septets."""
    try:
        return len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        return len(text)


def echo(text: str | None) -> str:
    """User text shown back on a screen: plain ASCII only, short (it is not escaped elsewhere)."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.translate(_BAMBARA_ASCII))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(_ECHO_UNSAFE.sub("", plain).split())[:ECHO_LEN].rstrip()


def placeholders(template: str) -> list[str]:
    return _PLACEHOLDER.findall(template)


def fill(template: str, values: dict[str, str]) -> str:
    """Replace known {name}s; unknown ones (e.g. {ref}, filled by the caller) stay as they are.

    Deliberately not str.format: a translator's stray brace must not raise or reach attributes.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
