"""Reporter pseudonyms: a keyed hash for lookups and the number encrypted at rest.

The clear number exists only in memory: when a webhook parses it and when a job decrypts
it to send a reply. It is never stored in clear, logged, or shown to coordinators.
"""
from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

from gateway.errors import ConfigError

_ALIAS_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"


class Pseudonymiser:
    def __init__(self, pseudonym_key: bytes, number_key: bytes):
        if len(pseudonym_key) < 16 or not number_key:
            raise ConfigError("reporter key material is missing (PSEUDONYM_KEY, NUMBER_KEY)")
        self._hmac_key = pseudonym_key
        self._fernet = Fernet(number_key)

    def pseudonym(self, e164: str) -> str:
        return hmac.new(self._hmac_key, e164.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, e164: str) -> str:
        return self._fernet.encrypt(e164.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ConfigError("reporter number cannot be decrypted with NUMBER_KEY") from exc


def reporter_alias(pseudonym: str) -> str:
    """A short, stable, human-friendly alias for staff screens, e.g. 'R-K7MX'."""
    value = int(pseudonym[:16], 16)
    letters = []
    for _ in range(5):
        value, index = divmod(value, len(_ALIAS_ALPHABET))
        letters.append(_ALIAS_ALPHABET[index])
    return "R-" + "".join(letters)
