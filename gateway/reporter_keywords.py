"""Reporters' keywords: STOP, START, AIDE, SUIVI <ref>, and the language switch.

After STOP a reporter gets nothing at all until START: the confirmation of STOP is the
last message, and later keywords are obeyed silently (a language switch still applies).
SUIVI answers only about the reporter's own reports; another's reference reads as
unknown, so a guessed code reveals nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.keywords import Keyword, is_valid_reference
from gateway.replies import reporter_status, reporter_text
from gateway.store.models import Reporter
from gateway.store.reports import reporter_report


@dataclass(frozen=True)
class KeywordResult:
    reply: str | None                 # None: stay silent (the reporter opted out)
    reply_kind: str = "reply"         # opt_out: the confirmation of STOP, sent despite the opt-out
    report_id: int | None = None      # the report SUIVI asked about


def run_keyword(session: Session, reporter: Reporter, keyword: Keyword, now: datetime) -> KeywordResult:
    if reporter.opted_out and keyword.action != "start":
        if keyword.action == "language":
            _set_language(reporter, keyword.argument, now)
        return KeywordResult(None)
    if keyword.action == "stop":
        _set_opted_out(reporter, True, now)
        return KeywordResult(reporter_text("stopped", reporter.language), reply_kind="opt_out")
    if keyword.action == "start":
        _set_opted_out(reporter, False, now)
        return KeywordResult(reporter_text("started", reporter.language))
    if keyword.action == "language":
        _set_language(reporter, keyword.argument, now)
        return KeywordResult(reporter_text("language", reporter.language))
    if keyword.action == "status":
        return _status(session, reporter, keyword.argument)
    return KeywordResult(reporter_text("help", reporter.language))


def _status(session: Session, reporter: Reporter, reference: str) -> KeywordResult:
    if not reference:
        return KeywordResult(reporter_text("status_usage", reporter.language))
    report = reporter_report(session, reference, reporter.id) if is_valid_reference(reference) else None
    if report is None:
        return KeywordResult(reporter_text("status_unknown", reporter.language, ref=reference[:10]))
    status = reporter_status(report.status, reporter.language)
    return KeywordResult(reporter_text("status", reporter.language, ref=report.reference, status=status),
                         report_id=report.id)


def _set_opted_out(reporter: Reporter, opted_out: bool, now: datetime) -> None:
    reporter.opted_out = opted_out
    reporter.updated_at = now


def _set_language(reporter: Reporter, language: str, now: datetime) -> None:
    reporter.language = language
    reporter.updated_at = now
