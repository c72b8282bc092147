"""process_reports: classify, recognise places, route, corroborate, create alerts. Idempotent.

It acts only on reports still in the 'received' state, and does all its writes in one
transaction: a run killed half-way leaves nothing behind, and a second run finds the
reports already processed. A job takes its own report and up to batch_size-1 others that
wait, and pays the database's and RQ's fixed costs once for all of them: one lock, one
read of the routing directory, one read of the incidents they may join, one INSERT per
table and one executemany per table to update.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta

from gateway.forums_file import TRIAGE_ID
from gateway.providers import sending_provider
from gateway.runtime import Runtime
from gateway.store.alerts import AlertTarget, NewAlert, incident_targets, insert_alerts
from gateway.store.forums import ForumRoute, routing_directory
from gateway.store.incidents import Corroboration, IncidentLink
from gateway.store.models import Report
from gateway.store.outbound import SendTask, claimed_task
from gateway.store.reports import WaitingReport, lock_waiting_first, save_processed
from workers.alerts import place_name, report_alert_text, update_text
from workers.classification import LOW_CONFIDENCE, Classification, classify
from workers.places import PlaceResult, recognise_places
from workers.routing import RoutingDecision, Subscription, route

log = logging.getLogger(__name__)
TRIAGE_FORUM = TRIAGE_ID
Directory = dict[str, ForumRoute]


@dataclass
class Batch:
    """What one run processed: the reports' ids, and their alerts created already claimed for sending."""
    report_ids: list[int] = field(default_factory=list)
    tasks: list[SendTask] = field(default_factory=list)


@dataclass
class _Routed:
    report: Report
    decision: RoutingDecision
    targets: list[AlertTarget]
    confident: bool
    incident: IncidentLink | None = None


def process_reports(runtime: Runtime, report_id: int, batch_size: int = 1,
                    leave_out: frozenset[int] = frozenset()) -> Batch:
    """Process the job's own report, and with batch_size > 1 up to batch_size-1 others that wait
    (not those in `leave_out`).

    When the own report is no longer waiting (done, or in another worker's batch), the others
    still are: the job does their work instead of leaving it to their own jobs.
    """
    return process_batch(runtime, [report_id], batch_size, leave_out)


def process_batch(runtime: Runtime, own: list[int], batch_size: int,
                  leave_out: frozenset[int] = frozenset()) -> Batch:
    """process_reports for a job that owns several reports (those one webhook transaction
    stored): these first, then the oldest others waiting, up to batch_size in all."""
    now = runtime.now()
    with runtime.transaction() as session:
        waiting = lock_waiting_first(session, own, limit=batch_size, leave_out=leave_out)
        if not waiting:
            return Batch()
        directory = routing_directory(session)
        subscriptions = subscriptions_of(directory)
        areas: dict[int, str] = {}
        routed = [_analyse_and_route(item, areas, directory, subscriptions, now) for item in waiting]
        corroboration = Corroboration(session, timedelta(hours=runtime.config.corroboration_window_hours))
        corroboration.load([r.report for r in routed if r.confident])
        for r in routed:                    # in id order: a later report joins an incident an earlier one opened
            r.incident = corroboration.attach(r.report) if r.confident else None
        corroboration.save()
        alerts = _alerts(session, routed, runtime.config.sms_provider)
        messages = insert_alerts(session, alerts, provider=runtime.config.sms_provider, now=now, claimed=True)
        save_processed(session, [r.report for r in routed], areas)
    sent_to = Counter(alert.report_id for alert in alerts)
    for r in routed:
        log.info("report processed", extra={"report_id": r.report.id, "category": r.report.category,
                                            "routing": r.decision.reason, "alerts": sent_to[r.report.id],
                                            "incident_reports": r.incident.report_count if r.incident else 1})
    phones = {person.id: person.phone for route in directory.values() for person in route.coordinators}
    return Batch([r.report.id for r in routed],
                 [claimed_task(message, phones[message.coordinator_id], now) for message in messages])


def _analyse_and_route(item: WaitingReport, areas: dict[int, str], directory: Directory,
                       subscriptions: list[Subscription], now) -> _Routed:
    """Everything about one report that needs no database: classification, places, routing, targets.

    `areas` holds the reporters' last areas changed so far in this batch: a reporter's second
    report in the batch is placed with the hint the first one left.
    """
    report, reporter_id = item.report, item.report.reporter_id
    hint = areas.get(reporter_id, item.reporter_last_area) if reporter_id is not None else None
    classification, places = analyse(report, hint)
    _record_analysis(report, classification, places, now)
    area = report.cercle_pcode or report.region_pcode
    if reporter_id is not None and area and hint != area:    # a reporter's last area helps place their next report
        areas[reporter_id] = area
    confident = classification.confidence >= LOW_CONFIDENCE and not places.ambiguous
    decision = route(subscriptions, classification.category, place_codes(report), confident)
    report.status = "triage" if decision.triage else "routed"
    targets = alert_targets(directory, (TRIAGE_FORUM,) if decision.triage else decision.forum_ids,
                       urgent=report.urgency == "urgent", reason="triage" if decision.triage else "subscription")
    return _Routed(report, decision, targets, confident)


def _alerts(session, routed: list[_Routed], provider: str) -> list[NewAlert]:
    """A full alert to whoever has not heard of the report's incident; a one-line update to the others.

    Who heard of an incident: what the database says for incidents older than the batch
    (one query for all), plus every alert planned so far in this batch. The reports were
    just locked in the 'received' state, so they have no alert yet.
    """
    older = [r.incident.incident for r in routed if r.incident and not r.incident.incident.opened_here]
    informed_before = incident_targets(session, sorted({incident.id for incident in older}))
    informed = {incident: set(informed_before.get(incident.id, ())) for incident in older}
    alerts: list[NewAlert] = []
    for r in routed:
        heard = informed.setdefault(r.incident.incident, set()) if r.incident else set()
        alerts += _report_alerts(r, heard, provider)
    return alerts


def _report_alerts(r: _Routed, heard: set[tuple[str, int]], provider: str) -> list[NewAlert]:
    report, incident = r.report, r.incident
    fresh, told, seen = [], [], set()
    for target in r.targets:
        target = replace(target, provider=sending_provider(target.provider, provider))   # a forum's own provider
        pair = (target.forum_id, target.coordinator_id)
        if pair in seen:
            continue
        seen.add(pair)
        (told if pair in heard else fresh).append(target)
    texts = {lang: report_alert_text(report, lang) for lang in {t.language for t in fresh}}
    alerts = [NewAlert(report.id, t, "alert", texts[t.language]) for t in fresh]
    if told:
        texted = is_update_milestone(incident.report_count)
        updates = {lang: update_text(first_reference=incident.first_reference, reference=report.reference,
                                     count=incident.report_count, category=report.category,
                                     place_name=place_name(report), language=lang)
                   for lang in {t.language for t in told}} if texted else {}
        alerts += [NewAlert(report.id, replace(t, reason="corroboration"), "update", updates.get(t.language))
                   for t in told]
    heard.update(seen)
    return alerts


def is_update_milestone(report_count: int) -> bool:
    """Whether the incident's report_count-th report is texted to coordinators who know of it.

    2, 3, 5, 10, 20, 50, 100, 200, 500, …: every report of a small incident, and a handful for
    a flood (a radio call-in can bring a thousand reports of one event, and a thousand SMS to
    each coordinator would bury the first alert and cost the forum). The reports in between
    are still recorded as the coordinator's alerts, so OK, FIN and INFO work on any of them,
    and INFO <ref> gives the count at any time.
    """
    if report_count in (2, 3):
        return True
    magnitude = 10 ** (len(str(report_count)) - 1)
    return report_count % magnitude == 0 and report_count // magnitude in (1, 2, 5)


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


def subscriptions_of(directory: Directory) -> list[Subscription]:
    return [Subscription(route.id, frozenset(route.categories), route.areas)
            for route in directory.values() if route.kind != "triage"]


def place_codes(report: Report) -> tuple[str, ...]:
    codes = [place["pcode"] for place in report.places]
    codes += [code for code in (report.commune_pcode, report.cercle_pcode, report.region_pcode) if code]
    return tuple(dict.fromkeys(codes))


def alert_targets(directory: Directory, forum_ids, *, urgent: bool, reason: str) -> list[AlertTarget]:
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
