"""Coordinators' SMS commands: OK <ref>, FIN <ref> [note], INFO <ref>, AIDE.

A coordinator acts only on reports routed (or escalated) to one of their own forums; any
other reference gets the same "not found" as a reference that does not exist, so the reply
never reveals that another forum's report exists. A report that belongs to an incident
(corroborated reports) is acted on as the whole incident.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.excerpts import excerpt
from gateway.follow_ups import queue_follow_ups
from gateway.keywords import Command, is_valid_reference
from gateway.replies import coordinator_text, info_text
from gateway.store.alerts import acknowledge_alerts, alerted_forums, close_alerts
from gateway.store.coordinators import CoordinatorIdentity
from gateway.store.models import Incident, Report, ReportAction
from gateway.store.reports import get_by_reference, incident_reports

AWAITING = ("routed", "triage")          # routed, nobody has acknowledged it yet
INFO_EXCERPT_CHARS = 120
NOTE_CHARS = 1000


@dataclass(frozen=True)
class CommandSettings:
    now: datetime
    follow_up_categories: frozenset[str]
    fallback_provider: str               # for follow-ups when the report's provider cannot send


@dataclass
class CommandResult:
    reply: str
    report_id: int | None = None
    follow_up_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    who: CoordinatorIdentity
    report: Report
    forum_ids: set[str]                  # the coordinator's forums this report was routed to

    @property
    def language(self) -> str:
        return self.who.language


def run_command(session: Session, who: CoordinatorIdentity, command: Command,
                settings: CommandSettings) -> CommandResult:
    language = who.language
    if command.action in ("help", "unknown"):
        return CommandResult(coordinator_text("help", language))
    if not command.reference:
        return CommandResult(coordinator_text("usage", language, verb=command.verb[:10]))
    report = get_by_reference(session, command.reference) if is_valid_reference(command.reference) else None
    forum_ids = (alerted_forums(session, report.id) & who.forum_ids) if report else set()
    if not forum_ids:
        return CommandResult(coordinator_text("unknown", language, ref=command.reference[:10]))
    handler = {"acknowledge": _acknowledge, "close": _close, "info": _info}[command.action]
    return handler(session, _Target(who, report, forum_ids), command, settings)


def _acknowledge(session: Session, target: _Target, _command: Command, settings: CommandSettings) -> CommandResult:
    report = target.report
    if report.status == "closed":
        return CommandResult(coordinator_text("already_closed", target.language, ref=report.reference), report.id)
    scope = incident_reports(session, report)
    changed = acknowledge_alerts(session, [r.id for r in scope], target.forum_ids, settings.now)
    taken_up = _move(scope, "acknowledged", settings.now)
    if changed:
        _record(session, target, scope, "acknowledge", None, settings.now)
    key = "acknowledged" if changed else "already_acknowledged"
    return CommandResult(coordinator_text(key, target.language, ref=report.reference), report.id,
                         queue_follow_ups(session, taken_up, settings))


def _close(session: Session, target: _Target, command: Command, settings: CommandSettings) -> CommandResult:
    report = target.report
    if report.status == "closed":
        return CommandResult(coordinator_text("already_closed", target.language, ref=report.reference), report.id)
    scope = incident_reports(session, report)
    close_alerts(session, [r.id for r in scope], target.forum_ids, settings.now)
    taken_up = _move(scope, "closed", settings.now)
    _record(session, target, scope, "close", command.note[:NOTE_CHARS] or None, settings.now)
    return CommandResult(coordinator_text("closed", target.language, ref=report.reference), report.id,
                         queue_follow_ups(session, taken_up, settings))


def _info(session: Session, target: _Target, _command: Command, _settings: CommandSettings) -> CommandResult:
    report = target.report
    incident = session.get(Incident, report.incident_id) if report.incident_id else None
    text = info_text(reference=report.reference, category=report.category,
                     place_name=report.places[0]["name"] if report.places else None,
                     received=f"{report.created_at:%d/%m %H:%M}", status=report.status,
                     urgent=report.urgency == "urgent", count=incident.report_count if incident else 1,
                     excerpt=excerpt(report.text or "", INFO_EXCERPT_CHARS), language=target.language)
    return CommandResult(text, report.id)


def _move(scope: list[Report], status: str, now: datetime) -> list[Report]:
    """Set the reports' status forward; return those nobody had taken up before (for follow-ups)."""
    taken_up = [r for r in scope if r.status in AWAITING]
    for report in scope:
        if report.status in AWAITING or (status == "closed" and report.status != "closed"):
            report.status = status
            report.updated_at = now
    return taken_up


def _record(session: Session, target: _Target, scope: list[Report], action: str, note: str | None,
            now: datetime) -> None:
    forum_id = sorted(target.forum_ids)[0]
    coordinator_id = target.who.coordinator_ids[forum_id]
    for report in scope:
        session.add(ReportAction(report_id=report.id, forum_id=forum_id, coordinator_id=coordinator_id,
                                 action=action, note=note, at=now))
