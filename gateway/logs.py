"""Structured logs without personal data.

Log lines carry ids (report, message, provider) and outcomes, never message bodies, clear
phone numbers or credentials. `extra` fields are rendered as key=value; callers choose
them, and the tests read a full run's logs to check that nothing personal slips through.
"""
from __future__ import annotations

import logging
import re

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        return base + "".join(f" {key}={value}" for key, value in sorted(extras.items()))


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
