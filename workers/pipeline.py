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
from gateway.providers import sending_provider
from gateway.runtime import Runtime
from gateway.store.alerts import AlertTarget, create_alerts, incident_targets
from gateway.store.forums import ForumRoute, routing_directory
from gateway.store.incidents import IncidentLink, attach_to_incident
from gateway.store.models import Report, Reporter
from gateway.store.outbound import NewCoordinatorMessage, SendTask, claimed_task
from gateway.store.reports import lock_for_processing
from workers.alerts import place_name, report_alert_text, update_text
from workers.classification import LOW_CONFIDENCE, Classification, classify
from workers.places import PlaceResult, recognise_places
from workers.routing import Subscription, route

log = logging.getLogger(__name__)
TRIAGE_FORUM = TRIAGE_ID
Directory = dict[str, ForumRoute]


def process_report(runtime: Runtime, report_id: int) -> list[SendTask]:
    """Process one report; return its alert messages, created already claimed for sending.

    No autoflush: the report, reporter and incident are written in one flush, with the
    alerts, instead of one UPDATE per query that happens to run in between.
    """
    now = runtime.now()
    with runtime.transaction() as session, session.no_autoflush:
        locked = lock_for_processing(session, report_id)
        if locked is None:
            return []
        report, reporter = locked
        directory = routing_directory(session)
        classification, places = analyse(report, reporter.last_area_pcode if reporter else None)
        _record_analysis(report, classification, places, now)
        _remember_area(reporter, report)
        confident = classification.confidence >= LOW_CONFIDENCE and not places.ambiguous
        decision = route(_subscriptions(directory), classification.category, _pcodes(report), confident)
        report.status = "triage" if decision.triage else "routed"
        targets = _targets(directory, (TRIAGE_FORUM,) if decision.triage else decision.forum_ids,
                           urgent=report.urgency == "urgent", reason="triage" if decision.triage else "subscription")
        window = timedelta(hours=runtime.config.corroboration_window_hours)
        incident = attach_to_incident(session, report, window) if confident else None
        messages = _alert(session, report, targets, incident, runtime.config.sms_provider, now)
    log.info("report processed", extra={"report_id": report_id, "category": report.category,
                                        "routing": decision.reason, "alerts": len(messages),
                                        "incident_reports": incident.report_count if incident else 1})
    phones = {person.id: person.phone for route in directory.values() for person in route.coordinators}
    return [claimed_task(message, phones[message.coordinator_id]) for message in messages]


def _alert(session, report: Report, targets: list[AlertTarget], incident: IncidentLink | None,
           provider: str, now) -> list[NewCoordinatorMessage]:
    """A full alert to whoever has not heard of this incident; a one-line update to the others.

    The report was just locked in the 'received' state, so it has no alert yet (known=set()).
    """
    targets = [replace(t, provider=sending_provider(t.provider, provider)) for t in targets]   # a forum's own provider
    informed = incident_targets(session, incident.incident_id) if incident and not incident.is_new else set()
    fresh = [t for t in targets if (t.forum_id, t.coordinator_id) not in informed]
    told = [replace(t, reason="corroboration") for t in targets if (t.forum_id, t.coordinator_id) in informed]
    texts = {lang: report_alert_text(report, lang) for lang in {t.language for t in fresh}}
    if told:
        texts_told = {lang: update_text(first_reference=incident.first_reference, reference=report.reference,
                                        count=incident.report_count, category=report.category,
                                        place_name=place_name(report), language=lang)
                      for lang in {t.language for t in told}}
    messages = create_alerts(session, report_id=report.id, targets=fresh, texts=texts, provider=provider,
                             now=now, known=set(), claimed=True)
    if told:
        messages += create_alerts(session, report_id=report.id, targets=told, texts=texts_told, provider=provider,
                                  now=now, kind="update", known={(t.forum_id, t.coordinator_id) for t in fresh},
                                  claimed=True)
    return messages


def _remember_area(reporter: Reporter | None, report: Report) -> None:
    """A reporter's last area helps place their next, vaguer report."""
    area = report.cercle_pcode or report.region_pcode
    if reporter is not None and area and reporter.last_area_pcode != area:
        reporter.last_area_pcode = area


def warm_up() -> None:
    """Build the classifier's and the place recogniser's indexes before the first report."""
    classify("Bamako")
    recognise_places("Bamako")


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


def _subscriptions(directory: Directory) -> list[Subscription]:
    return [Subscription(route.id, frozenset(route.categories), route.areas)
            for route in directory.values() if route.kind != "triage"]


def _pcodes(report: Report) -> tuple[str, ...]:
    codes = [place["pcode"] for place in report.places]
    codes += [code for code in (report.commune_pcode, report.cercle_pcode, report.region_pcode) if code]
    return tuple(dict.fromkeys(codes))


def _targets(directory: Directory, forum_ids, *, urgent: bool, reason: str) -> list[AlertTarget]:
    """Primary coordinators of each forum; backups too when urgent (or when there is no primary)."""
    targets = []
    for forum_id in forum_ids:
        route = directory.get(forum_id)
        if route is None:
            continue
        primaries = [p for p in route.coordinators if not p.backup]
        for person in route.coordinators:
            if person.backup and primaries and not urgent:
                continue
            why = "urgent_backup" if person.backup and primaries else reason
            targets.append(AlertTarget(forum_id, person.id, route.language, why, route.provider))
    return targets
