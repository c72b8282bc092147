"""Small-count masking for anything that leaves the staff console (exports, digests).

A count of 1 or 2 in a small place can point at a person, so it is shown as "<3". Zero is
shown: knowing that nothing was reported identifies nobody.
"""
from __future__ import annotations

SMALLEST_SHOWN = 3
MASK = "<3"


def is_masked(count: int) -> bool:
    return 0 < count < SMALLEST_SHOWN


def shown(count: int) -> str:
    return MASK if is_masked(count) else str(count)
