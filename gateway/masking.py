"""How a reporter appears to staff: an alias and a masked number, never the number itself."""
from __future__ import annotations

from gateway.errors import ConfigError
from gateway.phone import mask_number
from gateway.privacy import Pseudonymiser, reporter_alias

PURGED = "—"


def reporter_display(pseudonymiser: Pseudonymiser, pseudonym: str | None,
                     number_encrypted: str | None) -> tuple[str, str]:
    """(alias, masked number), e.g. ('R-K7MXA', '+223 •• •• •• 56'); '—' when there is none.

    The clear number exists only inside this function, to be masked.
    """
    if not pseudonym:
        return PURGED, PURGED
    if not number_encrypted:
        return reporter_alias(pseudonym), PURGED
    try:
        return reporter_alias(pseudonym), mask_number(pseudonymiser.decrypt(number_encrypted))
    except ConfigError:                      # a number encrypted under a key we no longer hold
        return reporter_alias(pseudonym), PURGED


def message_party(pseudonymiser: Pseudonymiser, coordinator: str | None, pseudonym: str | None,
                  number_encrypted: str | None) -> tuple[str, str]:
    """Who a message was from or to: a coordinator's name, or a reporter's alias and masked number."""
    if coordinator:
        return coordinator, ""
    return reporter_display(pseudonymiser, pseudonym, number_encrypted)
