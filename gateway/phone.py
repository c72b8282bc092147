"""Phone number normalisation to E.164 (Mali by default; see reference/protocols.md §4)."""
from __future__ import annotations

import functools

import phonenumbers

from gateway.errors import InvalidNumber

_MAX_RAW_LENGTH = 32
# Every USSD hop of a session, and every SMS a number sends, brings the same string again;
# parsing and validating it was 7 % of a USSD hop's CPU. The cache keeps recent numbers in
# this process's memory, which also holds NUMBER_KEY (it decrypts every stored number):
# it exposes nothing new. Bad numbers raise and are not cached.
_CACHED_NUMBERS = 8192


@functools.lru_cache(maxsize=_CACHED_NUMBERS)
def normalise_number(raw: str, region: str = "ML") -> str:
    """Return the E.164 form of `raw`, or raise InvalidNumber.

    >>> normalise_number("76 12 34 56")
    '+22376123456'
    """
    if not raw or len(raw) > _MAX_RAW_LENGTH:
        raise InvalidNumber("empty or overlong phone number")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber("unreadable phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_number(e164: str) -> str:
    """A masked form for staff screens: country code and last two digits only.

    >>> mask_number("+22376123456")
    '+223 •• •• •• 56'
    """
    if len(e164) < 6:
        return "•••"
    return f"{e164[:4]} •• •• •• {e164[-2:]}"
