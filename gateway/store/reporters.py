"""Reporters: found by pseudonym, created on first contact."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine, Row
from sqlalchemy.orm import Session

from gateway.store.db import attach, hot_statement
from gateway.store.models import Reporter


@hot_statement
def _upsert(insert):
    """A number purged earlier is stored again (the person wrote again); nothing else changes."""
    table = Reporter.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.pseudonym],
        set_={"number_encrypted": func.coalesce(table.c.number_encrypted, statement.excluded.number_encrypted)},
    ).returning(*table.c)


def get_or_create_reporter(session: Session, *, pseudonym: str, number_encrypted: str,
                           language: str, now: datetime) -> Reporter:
    """The reporter with this pseudonym, created on first contact: one statement, no savepoint.

    An upsert, so a concurrent first message from the same number waits for the other
    transaction and then finds its row.
    """
    row = upsert_reporters(session, [(pseudonym, number_encrypted)], language=language, now=now)[pseudonym]
    return attach(session, Reporter, row)


def upsert_reporters(session: Session, numbers: list[tuple[str, str]], *, language: str,
                     now: datetime) -> dict[str, Row]:
    """Reporter rows by pseudonym for (pseudonym, number_encrypted) pairs: one multi-row upsert.

    A pseudonym given twice is written once (an upsert may not touch a row twice), and rows
    are written in pseudonym order, so two transactions writing the same reporters take
    their row locks in the same order and cannot deadlock. `language`: for new reporters.
    """
    unique = dict(sorted(numbers))
    rows = session.connection().execute(_upsert(session), [
        {"pseudonym": pseudonym, "number_encrypted": number_encrypted, "language": language,
         "opted_out": False, "created_at": now, "updated_at": now}
        for pseudonym, number_encrypted in unique.items()]).all()
    return {row.pseudonym: row for row in rows}


def language_of(engine: Engine, pseudonym: str) -> str | None:
    """The language of a known reporter, None for a number never seen.

    One autocommit read, without BEGIN and COMMIT round trips: every USSD dial asks it.
    """
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.scalar(select(Reporter.language).where(Reporter.pseudonym == pseudonym))
