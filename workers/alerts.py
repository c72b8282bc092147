"""Alert texts for coordinators: reference, category, place, a short excerpt.

Never the reporter's number or name (the excerpt masks digit runs that look like one).
"""
from __future__ import annotations

from gateway.categories import label
from gateway.excerpts import excerpt
from gateway.gsm7 import fit, to_gsm7
from gateway.replies import URGENT, place_or_unknown

ALERT_SEPTETS = 306     # at most two segments
UPDATE_SEPTETS = 160    # an update is one segment: the first alert said the rest

TEMPLATES = {
    "fr": "ALERTE {ref} {urgent}{category} - {place}: \"{excerpt}\" Repondez OK {ref}",
    "en": "ALERT {ref} {urgent}{category} - {place}: \"{excerpt}\" Reply OK {ref}",
    "bm": "LADONNI {ref} {urgent}{category} - {place}: \"{excerpt}\" OK {ref} ci",
}
# Corroboration: a further report of the same incident (same category, same commune).
UPDATES = {
    "fr": "MAJ {first}: {count} signalements {category} - {place}. Nouveau: {ref}. INFO {ref}",
    "en": "UPDATE {first}: {count} reports {category} - {place}. New: {ref}. INFO {ref}",
    "bm": "KURA {first}: kunnafoni {count} {category} - {place}. Kura: {ref}. INFO {ref}",
}
# Escalation: backups and the triage desk never saw the first alert, so it is repeated.
ESCALATIONS = {
    "fr": "SANS REPONSE {hours}h ({forum}). ",
    "en": "NO ANSWER {hours}h ({forum}). ",
    "bm": "JAABI TE {hours}h ({forum}). ",
}


def alert_text(*, reference: str, category: str, place_name: str | None, text: str,
               urgent: bool, language: str) -> str:
    template = TEMPLATES.get(language, TEMPLATES["fr"])
    body = template.format(ref=reference, urgent=URGENT.get(language, "URGENT ") if urgent else "",
                           category=label(category, language),
                           place=place_or_unknown(place_name, language), excerpt=excerpt(text))
    return fit(to_gsm7(body), ALERT_SEPTETS)


def place_name(report) -> str | None:
    """The most specific place recognised in a report, if any."""
    return report.places[0]["name"] if report.places else None


def report_alert_text(report, language: str) -> str:
    """alert_text for a stored report (anything with the Report model's fields)."""
    return alert_text(reference=report.reference, category=report.category, place_name=place_name(report),
                      text=report.text or "", urgent=report.urgency == "urgent", language=language)


def update_text(*, first_reference: str, reference: str, count: int, category: str,
                place_name: str | None, language: str) -> str:
    template = UPDATES.get(language, UPDATES["fr"])
    body = template.format(first=first_reference, ref=reference, count=count, category=label(category, language),
                           place=place_or_unknown(place_name, language))
    return fit(to_gsm7(body), UPDATE_SEPTETS)


def escalation_text(alert: str, *, hours: int, forum_name: str, language: str) -> str:
    prefix = ESCALATIONS.get(language, ESCALATIONS["fr"]).format(hours=hours, forum=forum_name[:40])
    return fit(to_gsm7(prefix + alert), ALERT_SEPTETS)
