"""Alert texts for coordinators: reference, category, place, a short excerpt.

Never the reporter's number or name. Digit runs that look like phone numbers are masked
in the excerpt, since people sometimes sign a report with their number.
"""
from __future__ import annotations

import re

from gateway.categories import label
from gateway.gsm7 import fit, to_gsm7

_PHONE_LIKE = re.compile(r"(?:\+|00)?\d[\d .-]{6,}\d")
EXCERPT_CHARS = 70
ALERT_SEPTETS = 306     # at most two segments

TEMPLATES = {
    "fr": "ALERTE {ref} {urgent}{category} - {place}: \"{excerpt}\" Repondez OK {ref}",
    "en": "ALERT {ref} {urgent}{category} - {place}: \"{excerpt}\" Reply OK {ref}",
    "bm": "LADONNI {ref} {urgent}{category} - {place}: \"{excerpt}\" OK {ref} ci",
}
URGENT = {"fr": "URGENT ", "en": "URGENT ", "bm": "JOONA "}
UNKNOWN_PLACE = {"fr": "lieu inconnu", "en": "place unknown", "bm": "yòrò ma dòn"}


def excerpt(text: str) -> str:
    masked = _PHONE_LIKE.sub("[numero]", " ".join(text.split()))
    return fit(to_gsm7(masked), EXCERPT_CHARS)


def alert_text(*, reference: str, category: str, place_name: str | None, text: str,
               urgent: bool, language: str) -> str:
    template = TEMPLATES.get(language, TEMPLATES["fr"])
    body = template.format(ref=reference, urgent=URGENT.get(language, "URGENT ") if urgent else "",
                           category=label(category, language),
                           place=place_name or UNKNOWN_PLACE.get(language, "?"), excerpt=excerpt(text))
    return fit(to_gsm7(body), ALERT_SEPTETS)
