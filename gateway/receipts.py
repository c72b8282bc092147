"""Neutral receipts: a phone can be seized, so they never echo what was reported."""
from __future__ import annotations

RECEIPTS = {
    "fr": "Merci, message recu. Ref {ref}. Pour le suivi, envoyez SUIVI {ref}.",
    "en": "Thank you, message received. Ref {ref}. To follow up, send SUIVI {ref}.",
    # Bambara: needs review by a native speaker.
    "bm": "I ni ce, cikan sòròla. Ref {ref}. Ka ñininkali kè, SUIVI {ref} ci.",
}


def receipt_text(reference: str, language: str) -> str:
    """One GSM-7 segment in the reporter's language (tests hold every language to that)."""
    return RECEIPTS.get(language, RECEIPTS["fr"]).format(ref=reference)
