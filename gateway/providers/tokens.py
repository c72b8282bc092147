"""Shared-secret tokens for providers that do not sign their callbacks (Africa's Talking, Orange)."""
from __future__ import annotations

import hmac

from gateway.errors import BadSignature


def verify_token(given: str | None, expected: str) -> None:
    """Raise BadSignature unless the callback's token is ours (constant-time compare).

    An unset expected token refuses everything: never fall open.
    """
    if not expected or not given:
        raise BadSignature("missing token")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadSignature("token does not match")
