"""Report reference codes: short, random, easy to read aloud and type on a keypad.

The alphabet drops letters and digits that are confused on small screens or by ear
(0/O, 1/I/L, 2/Z, 5/S, 8/B, G/6). Six characters give 23**6 ≈ 148 million codes; the
database's unique constraint catches the rare collision and the caller draws again.
"""
import secrets

ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
LENGTH = 6


def new_reference() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_reference(text: str) -> str:
    """Upper-case and strip what people add when they type a code back to us."""
    return "".join(ch for ch in text.upper() if ch.isalnum())
