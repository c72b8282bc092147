"""reroute_report: after a staff correction, alert the forums the corrected report concerns.

The classifier's guess sent the report to the triage desk (or to the forums of another
category or place); staff corrected its category or place in the console. Staff's values are
trusted, so no confidence threshold applies: the report goes to every forum whose subscription
now matches and whose coordinators have not been alerted about it yet. Alerts already sent stay
(their coordinators may be acting on them); the triage desk's pending alert is acknowledged,
since staff have just handled it. Nothing matching: the report stays with the triage desk.
Idempotent: a second run finds every target already alerted.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import select

from gateway import areas
from gateway.forums_file import TRIAGE_ID
from gateway.providers import sending_provider
from gateway.runtime import Runtime
from gateway.store.alerts import NewAlert, acknowledge_alerts, existing_targets, insert_alerts
from gateway.store.forums import routing_directory
from gateway.store.models import Report
from gateway.store.outbound import SendTask, claimed_task
from workers.alerts import alert_text, place_name
from workers.pipeline import alert_targets, subscriptions_of
from workers.routing import route

log = logging.getLogger(__name__)
REROUTABLE = ("triage", "routed")     # not yet acknowledged or closed by a forum


def reroute_report(runtime: Runtime, report_id: int) -> list[SendTask]:
    """Alert the forums the report now matches; return the alerts, claimed for sending."""
    now = runtime.now()
    with runtime.transaction() as session:
        report = session.scalar(select(Report).where(Report.id == report_id).with_for_update())
        if report is None or report.status not in REROUTABLE:
            return []
        directory = routing_directory(session)
        decision = route(subscriptions_of(directory), report.category, corrected_area(report), confident=True)
        if decision.triage:
            return []
        known = existing_targets(session, report.id)
        targets = [target for target in alert_targets(directory, decision.forum_ids, reason="correction",
                                                      urgent=report.urgency == "urgent")
                   if (target.forum_id, target.coordinator_id) not in known]
        provider = runtime.config.sms_provider
        alerts = [NewAlert(report.id, replace(target, provider=sending_provider(target.provider, provider)),
                           "alert", _alert_text(report, target.language)) for target in targets]
        messages = insert_alerts(session, alerts, provider=provider, now=now, claimed=True)
        if report.status == "triage":
            report.status, report.updated_at = "routed", now
            acknowledge_alerts(session, [report.id], {TRIAGE_ID}, now)
    log.info("report rerouted", extra={"report_id": report_id, "forums": len(decision.forum_ids),
                                       "alerts": len(messages)})
    phones = {person.id: person.phone for forum in directory.values() for person in forum.coordinators}
    return [claimed_task(message, phones[message.coordinator_id], now) for message in messages]


def corrected_area(report: Report) -> tuple[str, ...]:
    """The area staff see and set (commune, cercle, region), not the places the classifier
    recognised in the text: after a correction of the place those would still name the old one."""
    return tuple(code for code in (report.commune_pcode, report.cercle_pcode, report.region_pcode) if code)


def _alert_text(report: Report, language: str) -> str:
    return alert_text(reference=report.reference, category=report.category, place_name=corrected_place_name(report),
                      text=report.text or "", urgent=report.urgency == "urgent", language=language)


def corrected_place_name(report: Report) -> str | None:
    """The place recognised in the text if it lies in the area staff set, else that area's name."""
    area = report.cercle_pcode or report.region_pcode
    recognised = place_name(report)
    if recognised and (not area or report.places[0].get("pcode", "").startswith(area)):
        return recognised
    return areas.names().get(area) if area else None
