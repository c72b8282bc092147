"""Reading SMS keywords and coordinators' commands. Pure: a body in, a parsed value out.

Reporters' keywords are the whole body ("STOP", "SUIVI 64DXNW"), as carriers and Twilio
read them (protocols.md §1.8): a longer message is a report, never a keyword. A message
from a coordinator's number is always a command: "OK 64DXNW", "FIN 64DXNW calme revenu".
Accents, case and a trailing full stop do not matter ("Arrêt." is ARRET).

Bambara keywords follow the spelling people type on a keypad (no special letters) and
need review by native speakers, like the other Bambara strings.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from gateway.refcodes import ALPHABET, LENGTH, normalise_reference

# word -> (action, argument). Actions: stop, start, help, language.
REPORTER_WORDS = {
    "STOP": ("stop", ""), "ARRET": ("stop", ""), "ARRETER": ("stop", ""), "DABILA": ("stop", ""),
    "START": ("start", ""), "REPRENDRE": ("start", ""), "DEMARRER": ("start", ""), "DAMINE": ("start", ""),
    "AIDE": ("help", ""), "HELP": ("help", ""), "DEME": ("help", ""),
    "FR": ("language", "fr"), "FRANCAIS": ("language", "fr"),
    "EN": ("language", "en"), "ENGLISH": ("language", "en"), "ANGLAIS": ("language", "en"),
    "BM": ("language", "bm"), "BAMANANKAN": ("language", "bm"), "BAMANAN": ("language", "bm"),
    "BAMBARA": ("language", "bm"),
}
STATUS_WORDS = ("SUIVI", "STATUS", "STATUT")
MAX_REFERENCE_TOKENS = 2          # "SUIVI 64D XNW" still reads as a reference; more is a report

# verb -> action, for coordinators. French, English and Bambara (awo: yes; ban: finish;
# kunnafoni: news; deme: help).
COMMAND_VERBS = {
    "OK": "acknowledge", "ACK": "acknowledge", "RECU": "acknowledge", "AWO": "acknowledge",
    "FIN": "close", "CLOSE": "close", "CLOS": "close", "BAN": "close",
    "INFO": "info", "DETAILS": "info", "KUNNAFONI": "info",
    "AIDE": "help", "HELP": "help", "DEME": "help", "?": "help",
}
NEEDS_REFERENCE = {"acknowledge", "close", "info"}


@dataclass(frozen=True)
class Keyword:
    """A reporter's keyword. action: stop | start | help | language | status."""
    action: str
    argument: str = ""            # language code, or the reference asked about (may be "")


@dataclass(frozen=True)
class Command:
    """A coordinator's command. action: acknowledge | close | info | help | unknown."""
    action: str
    verb: str = ""                # as typed (folded), to echo it in a usage hint
    reference: str = ""           # normalised; "" when missing
    note: str = ""                # FIN's free text


def fold(body: str) -> str:
    """Upper-case, accents off, spaces collapsed, trailing punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", body.upper())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split()).rstrip(".!")


def parse_keyword(body: str) -> Keyword | None:
    """The reporter's keyword, or None when the body is a report."""
    text = fold(body)
    if text in REPORTER_WORDS:
        return Keyword(*REPORTER_WORDS[text])
    verb, _, rest = text.partition(" ")
    if verb in STATUS_WORDS and _looks_like_reference(rest):
        return Keyword("status", normalise_reference(rest))
    return None


def _looks_like_reference(rest: str) -> bool:
    tokens = rest.split()
    return len(tokens) <= MAX_REFERENCE_TOKENS and all(token.isalnum() for token in tokens) \
        and len("".join(tokens)) <= 2 * LENGTH


def parse_command(body: str) -> Command:
    """Always a command: what a coordinator sends is never a report."""
    words = body.split()
    verb = fold(words[0]) if words else ""
    action = COMMAND_VERBS.get(verb, "unknown")
    if action not in NEEDS_REFERENCE:
        return Command(action, verb)
    reference = normalise_reference(words[1]) if len(words) > 1 else ""
    note = " ".join(words[2:]) if action == "close" else ""
    return Command(action, verb, reference, note)


def is_valid_reference(reference: str) -> bool:
    return len(reference) == LENGTH and set(reference) <= set(ALPHABET)
