"""Escalation: an alert nobody in its forum acknowledged within the forum's ack_within_hours
goes to the forum's backup coordinators and to the triage desk, once.

Run periodically (the workers' housekeeping tick enqueues it; `gateway escalate` runs it
by hand). Time is the runtime clock, so tests move it instead of waiting.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import groupby

from gateway.forums_file import TRIAGE_ID
from gateway.providers import sending_provider
from gateway.runtime import Runtime
from gateway.store.alerts import AlertTarget, coordinators_of, create_alerts, overdue_alerts
from gateway.store.forums import active_forums
from gateway.store.models import Forum, Report
from workers.alerts import escalation_text, report_alert_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EscalationResult:
    alerts_escalated: int
    messages: int


def escalate_overdue(runtime: Runtime) -> EscalationResult:
    now = runtime.now()
    escalated, message_ids = 0, []
    with runtime.transaction() as session:
        desk = _triage_targets(session, runtime.config.sms_provider)
        for forum in active_forums(session):
            for report_id, alerts in groupby(overdue_alerts(session, forum, now), key=lambda a: a.report_id):
                alerts = list(alerts)
                message_ids += _escalate(session, forum, session.get(Report, report_id), desk,
                                         runtime.config.sms_provider, now)
                for alert in alerts:
                    alert.status = "escalated"
                escalated += len(alerts)
    for message_id in message_ids:
        runtime.queues.enqueue_send(message_id)
    if escalated:
        log.info("alerts escalated", extra={"alerts": escalated, "messages": len(message_ids)})
    return EscalationResult(alerts_escalated=escalated, messages=len(message_ids))


def _triage_targets(session, provider: str) -> list[AlertTarget]:
    desk = session.get(Forum, TRIAGE_ID)
    if desk is None or not desk.active:
        return []
    return [AlertTarget(TRIAGE_ID, person.id, desk.language, "escalation", sending_provider(desk.provider, provider))
            for person in coordinators_of(session, TRIAGE_ID)]


def _escalate(session, forum: Forum, report: Report, desk: list[AlertTarget], provider: str, now) -> list[int]:
    """Alert the forum's backups and the triage desk (those already alerted are skipped)."""
    backups = [AlertTarget(forum.id, person.id, forum.language, "escalation", sending_provider(forum.provider, provider))
               for person in coordinators_of(session, forum.id) if person.backup]
    targets = backups + desk
    texts = {lang: escalation_text(report_alert_text(report, lang), hours=forum.ack_within_hours,
                                   forum_name=forum.name, language=lang)
             for lang in {target.language for target in targets}}
    messages = create_alerts(session, report_id=report.id, targets=targets, texts=texts, provider=provider, now=now)
    return [message.id for message in messages]
