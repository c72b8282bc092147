"""Reporters: found by pseudonym, created on first contact."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.store.models import Reporter


def get_or_create_reporter(session: Session, *, pseudonym: str, number_encrypted: str,
                           language: str, now: datetime) -> Reporter:
    reporter = session.scalar(select(Reporter).where(Reporter.pseudonym == pseudonym))
    if reporter is not None:
        if reporter.number_encrypted is None:      # purged earlier; the person wrote again
            reporter.number_encrypted = number_encrypted
        return reporter
    try:
        with session.begin_nested():
            reporter = Reporter(pseudonym=pseudonym, number_encrypted=number_encrypted,
                                language=language, opted_out=False, created_at=now, updated_at=now)
            session.add(reporter)
        return reporter
    except IntegrityError:                         # a concurrent first message from the same number
        return session.scalar(select(Reporter).where(Reporter.pseudonym == pseudonym))


def language_of(engine: Engine, pseudonym: str) -> str | None:
    """The language of a known reporter, None for a number never seen.

    One autocommit read, without BEGIN and COMMIT round trips: every USSD dial asks it.
    """
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.scalar(select(Reporter.language).where(Reporter.pseudonym == pseudonym))
