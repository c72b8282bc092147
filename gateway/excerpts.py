"""Short excerpts of a report for coordinators (alerts, INFO replies).

Digit runs that look like phone numbers are masked, since people sometimes sign a
report with their number; coordinators never see a reporter's number.
"""
from __future__ import annotations

import re

from gateway.gsm7 import fit, to_gsm7

_PHONE_LIKE = re.compile(r"(?:\+|00)?\d[\d .-]{6,}\d")
EXCERPT_CHARS = 70


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    masked = _PHONE_LIKE.sub("[numero]", " ".join(text.split()))
    return fit(to_gsm7(masked), limit)
