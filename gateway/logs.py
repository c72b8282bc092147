"""Structured logs without personal data.

Log lines carry ids (report, message, provider) and outcomes, never message bodies, clear
phone numbers or credentials. `extra` fields are rendered as key=value; callers choose
them, and the tests read a full run's logs to check that nothing personal slips through.
"""
from __future__ import annotations

import functools
import logging
import re
import sqlite3
import traceback

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # Not the record's cached exc_text: another handler may have rendered it unsafely.
        cached = record.exc_text
        record.exc_text = self.formatException(record.exc_info) if record.exc_info else cached
        try:
            base = super().format(record)
        finally:
            record.exc_text = cached
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        return base + "".join(f" {key}={value}" for key, value in sorted(extras.items()))

    def formatException(self, ei) -> str:
        if ei[1] is None:                 # exc_info=True outside an except block
            return super().formatException(ei)
        return safe_traceback(ei[1]).rstrip("\n")


def is_database_error(exc: BaseException) -> bool:
    from psycopg import Error as PsycopgError
    from sqlalchemy.exc import StatementError

    return isinstance(exc, (StatementError, PsycopgError, sqlite3.Error))


def database_error_summary(exc: BaseException) -> str:
    """What a database error may say in a log: its kind and where, never its text.

    PostgreSQL's own message quotes stored values ("Failing row contains (…)" with a report's
    words, "Key (reference)=(…)"), and SQLAlchemy repeats it: hide_parameters cannot reach it.
    """
    orig = getattr(exc, "orig", None) or exc
    diag = getattr(orig, "diag", None)
    where = {name: getattr(diag, name, None) for name in ("sqlstate", "table_name", "column_name", "constraint_name")}
    where["sqlstate"] = where["sqlstate"] or getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    details = ", ".join(f"{name}={value}" for name, value in where.items() if value)
    return f"{type(orig).__name__}{f' ({details})' if details else ''}: database text withheld (it can quote stored values)"


class DatabaseTextWithheld(Exception):
    """A failure whose chain held a database error; its message is the safe traceback."""


def withhold_database_text(function):
    """For RQ jobs: RQ formats a failed job's traceback itself, stores it in Redis and logs it,
    so the formatter below never sees it. A failure with a database error anywhere in its
    chain is raised again as DatabaseTextWithheld carrying safe_traceback's text."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            if not any(is_database_error(link) for link in _chain(exc)):
                raise
            raise DatabaseTextWithheld(safe_traceback(exc)) from None
    return run


def _chain(exc: BaseException | None):
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


def safe_traceback(exc: BaseException) -> str:
    """The traceback as Python prints it, frames and chain included, with every database
    error's message replaced by database_error_summary."""
    links = list(_chain(exc))[::-1]                   # the oldest first, as Python prints them
    parts: list[str] = []
    for older, link in zip([None, *links], links):
        if older is not None:
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n"
                         if link.__cause__ is older else
                         "\nDuring handling of the above exception, another exception occurred:\n\n")
        if link.__traceback__ is not None:
            parts += ["Traceback (most recent call last):\n", *traceback.format_tb(link.__traceback__)]
        kind = type(link)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        message = database_error_summary(link) if is_database_error(link) else _text(link)
        parts.append(f"{name}: {message}\n" if message else f"{name}\n")
    return "".join(parts)


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:             # as the traceback module does: a broken __str__ must not hide the rest
        return "<exception str() failed>"


class DropQueryStrings(logging.Filter):
    """The development server logs request lines: a query string may hold a staff search term
    (words of a report) or a webhook token, so only the path is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "werkzeug" and record.args and isinstance(record.args, tuple):
            record.args = tuple(re.sub(r"\?\S*", "?…", arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def configure_logging(level: int = logging.INFO) -> None:
    logging.getLogger("werkzeug").addFilter(_DROP_QUERY_STRINGS)
    root = logging.getLogger()
    if any(isinstance(h.formatter, KeyValueFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # twilio-python logs every REST call at INFO in ten lines (URL, each header): noise in
    # the workers' logs and a measurable share of a send's CPU (bench/results/ingest.md).
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


_DROP_QUERY_STRINGS = DropQueryStrings()
