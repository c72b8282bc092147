"""process_report: classify, recognise places, route, corroborate, create alerts. Idempotent.

It acts only on a report still in the 'received' state, and does all its writes in one
transaction: a run killed half-way leaves nothing behind, and a second run finds the
report already processed.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, replace
from datetime import timedelta

from gateway.forums_file import TRIAGE_ID
from gateway.runtime import Runtime
from gateway.store.alerts import AlertTarget, coordinators_of, create_alerts, incident_targets
from gateway.store.forums import active_forums
from gateway.store.incidents import IncidentLink, attach_to_incident
from gateway.store.models import Forum, Report, Reporter
from gateway.store.reports import lock_unprocessed
from workers.alerts import place_name, report_alert_text, update_text
from workers.classification import LOW_CONFIDENCE, Classification, classify
from workers.places import PlaceResult, recognise_places
from workers.routing import Subscription, route

log = logging.getLogger(__name__)
TRIAGE_FORUM = TRIAGE_ID


def process_report(runtime: Runtime, report_id: int) -> list[int]:
    """Process one report; return the ids of the alert messages to send."""
    now = runtime.now()
    with runtime.transaction() as session:
        report = lock_unprocessed(session, report_id)
        if report is None:
            return []
        reporter = session.get(Reporter, report.reporter_id) if report.reporter_id else None
        classification, places = analyse(report, reporter.last_area_pcode if reporter else None)
        _record_analysis(report, classification, places, now)
        if reporter and report.region_pcode:
            reporter.last_area_pcode = report.cercle_pcode or report.region_pcode
        forums = {forum.id: forum for forum in active_forums(session)}
        confident = classification.confidence >= LOW_CONFIDENCE and not places.ambiguous
        decision = route(_subscriptions(forums), classification.category, _pcodes(report), confident)
        forum_ids = (TRIAGE_FORUM,) if decision.triage else decision.forum_ids
        targets = _targets(session, forums, forum_ids, urgent=report.urgency == "urgent",
                           reason="triage" if decision.triage else "subscription")
        window = timedelta(hours=runtime.config.corroboration_window_hours)
        incident = attach_to_incident(session, report, window) if confident else None
        message_ids = _alert(session, report, targets, incident, runtime.config.sms_provider, now)
        report.status = "triage" if decision.triage else "routed"
    log.info("report processed", extra={"report_id": report_id, "category": report.category,
                                        "routing": decision.reason, "alerts": len(message_ids),
                                        "incident_reports": incident.report_count if incident else 1})
    return message_ids


def _alert(session, report: Report, targets: list[AlertTarget], incident: IncidentLink | None,
           provider: str, now) -> list[int]:
    """A full alert to whoever has not heard of this incident; a one-line update to the others."""
    informed = incident_targets(session, incident.incident_id) if incident and not incident.is_new else set()
    fresh = [t for t in targets if (t.forum_id, t.coordinator_id) not in informed]
    told = [replace(t, reason="corroboration") for t in targets if (t.forum_id, t.coordinator_id) in informed]
    texts = {lang: report_alert_text(report, lang) for lang in {t.language for t in fresh}}
    message_ids = create_alerts(session, report_id=report.id, targets=fresh, texts=texts, provider=provider, now=now)
    if told:
        updates = {lang: update_text(first_reference=incident.first_reference, reference=report.reference,
                                     count=incident.report_count, category=report.category,
                                     place_name=place_name(report), language=lang)
                   for lang in {t.language for t in told}}
        message_ids += create_alerts(session, report_id=report.id, targets=told, texts=updates,
                                     provider=provider, now=now, kind="update")
    return message_ids


def analyse(report: Report, hint_pcode: str | None) -> tuple[Classification, PlaceResult]:
    """Classify the text; what the reporter chose in a USSD menu overrides the guess."""
    text = report.text or ""
    details = report.details or {}
    classification = classify(text)
    if details.get("category"):
        classification = Classification(details["category"], 1.0, (),
                                        "urgent" if details.get("danger_now") else classification.urgency,
                                        classification.urgency_signals)
    chosen_area = details.get("cercle_pcode") or details.get("region_pcode")
    places = recognise_places(" ".join(filter(None, [details.get("place_text"), text])),
                              hint_pcode=chosen_area or hint_pcode)
    return classification, places


def _record_analysis(report: Report, classification: Classification, places: PlaceResult, now) -> None:
    report.category = classification.category
    report.confidence = classification.confidence
    report.urgency = classification.urgency
    report.places = [asdict(place) for place in places.places]
    best = places.places[0] if places.places else None
    details = report.details or {}
    report.region_pcode = best.region_pcode if best else details.get("region_pcode")
    report.cercle_pcode = best.cercle_pcode if best else details.get("cercle_pcode")
    report.commune_pcode = best.commune_pcode if best else details.get("commune_pcode")
    report.processed_at = now
    report.updated_at = now


def _subscriptions(forums: dict[str, Forum]) -> list[Subscription]:
    return [Subscription(forum.id, frozenset(forum.categories), tuple(forum.areas))
            for forum in forums.values() if forum.kind != "triage"]


def _pcodes(report: Report) -> tuple[str, ...]:
    codes = [place["pcode"] for place in report.places]
    codes += [code for code in (report.commune_pcode, report.cercle_pcode, report.region_pcode) if code]
    return tuple(dict.fromkeys(codes))


def _targets(session, forums: dict[str, Forum], forum_ids, *, urgent: bool, reason: str) -> list[AlertTarget]:
    """Primary coordinators of each forum; backups too when urgent (or when there is no primary)."""
    targets = []
    for forum_id in forum_ids:
        forum = forums.get(forum_id)
        if forum is None:
            continue
        people = coordinators_of(session, forum_id)
        primaries = [p for p in people if not p.backup]
        for person in people:
            if person.backup and primaries and not urgent:
                continue
            why = "urgent_backup" if person.backup and primaries else reason
            targets.append(AlertTarget(forum_id, person.id, forum.language, why))
    return targets
