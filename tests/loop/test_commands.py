"""Coordinators by SMS: OK, FIN, INFO, AIDE through the webhook; only on their forums' reports."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.store.models import Alert, Report, ReportAction
from tests.helpers import REPORTER, signed_post, twilio_form
from tests.loop.helpers import (BORDER_PRIMARY, KENIEBA_BACKUP, KENIEBA_PRIMARY, MINING_TEXT, TRIAGE_DESK,
                                messages, report, report_row, sms, texts_to)

URGENT_MINING = "Affrontement sur la mine d'or de Kenieba, deux morts et des blesses"


def alert_statuses(runtime, reference: str) -> set[str]:
    with runtime.transaction() as session:
        return set(session.scalars(select(Alert.status).join(Report).where(Report.reference == reference)))


def count_reports(runtime) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(Report))


def test_ok_acknowledges_for_the_whole_forum(client, runtime, forums, run_jobs):
    reference = report(client, URGENT_MINING)          # urgent: primary and backup are alerted
    run_jobs()
    reply = sms(client, f"ok {reference.lower()}", sender=KENIEBA_BACKUP)
    assert reply == f"{reference} pris en charge, merci. Pour cloturer: FIN {reference} [note]."
    assert alert_statuses(runtime, reference) == {"acknowledged"}
    assert report_row(runtime, reference).status == "acknowledged"
    assert sms(client, f"OK {reference}", sender=KENIEBA_PRIMARY).startswith(f"{reference} etait deja pris en charge")


def test_fin_closes_with_the_note_and_info_tells_the_details(client, runtime, forums, run_jobs):
    reference = report(client, MINING_TEXT + ", appelez moi au 76 12 34 56")
    run_jobs()
    info = sms(client, f"INFO {reference}", sender=KENIEBA_PRIMARY)
    assert info.startswith(f"{reference} Conflit terre/eau/mines - Ken")
    assert ", recu le 02/11 09:00. En attente. Signalements: 1." in info
    assert "orpailleurs" in info and "76 12 34 56" not in info
    assert sms(client, f"FIN {reference} Calme revenu, mediation faite", sender=KENIEBA_PRIMARY) \
        == f"{reference} cloture, merci."
    assert report_row(runtime, reference).status == "closed"
    assert alert_statuses(runtime, reference) == {"closed"}
    with runtime.transaction() as session:
        action = session.scalar(select(ReportAction))
    assert (action.action, action.note) == ("close", "Calme revenu, mediation faite")
    assert sms(client, f"OK {reference}", sender=KENIEBA_PRIMARY) == f"{reference} etait deja cloture."


def test_a_coordinator_cannot_act_on_another_forums_report(client, runtime, forums, run_jobs):
    reference = report(client, MINING_TEXT)             # routed to the Kéniéba forum only
    run_jobs()
    refused = sms(client, f"OK {reference}", sender=BORDER_PRIMARY)
    missing = sms(client, "OK ACDEFH", sender=BORDER_PRIMARY)
    assert refused == f"Ref {reference} introuvable pour votre forum. Envoyez AIDE pour les commandes."
    assert missing == refused.replace(reference, "ACDEFH")        # nothing tells the two apart
    assert sms(client, f"INFO {reference}", sender=BORDER_PRIMARY) == refused
    assert alert_statuses(runtime, reference) == {"pending"}
    assert report_row(runtime, reference).status == "routed"


def test_the_triage_desk_acts_on_what_it_was_sent(client, runtime, forums, run_jobs):
    reference = report(client, "Manifestation devant la mairie de Kidal")    # no forum: triage
    run_jobs()
    assert sms(client, f"OK {reference}", sender=TRIAGE_DESK).startswith(f"{reference} pris en charge")
    assert report_row(runtime, reference).status == "acknowledged"


HELPFUL = [
    # label, body, reply starts with
    ("no reference", "OK", "Il manque la reference: OK <ref>, par exemple OK 64DXNW."),
    ("unknown command", "Bonjour, je suis en route", "Commandes: OK <ref> pris en charge, FIN <ref> [note]"),
    ("help", "AIDE", "Commandes: OK <ref>"),
    ("malformed reference", "FIN 12", "Ref 12 introuvable pour votre forum."),
]


@pytest.mark.parametrize("label, body, expected", HELPFUL, ids=[case[0] for case in HELPFUL])
def test_malformed_commands_get_a_short_helpful_reply_and_are_never_reports(client, runtime, forums,
                                                                             label, body, expected):
    reply = sms(client, body, sender=KENIEBA_PRIMARY)
    assert reply.startswith(expected) and len(reply) <= 160
    assert count_reports(runtime) == 0
    [inbound] = messages(runtime, direction="in")
    assert inbound.kind == "command" and inbound.coordinator_id and inbound.reporter_id is None


@pytest.mark.parametrize("phone, expected", [("+22376000001", "Commandes:"), ("+22376000021", "Cikanw:"),
                                             ("+22376000041", "Commands:")])
def test_replies_are_in_the_forums_language(client, forums, phone, expected):
    assert sms(client, "HELP", sender=phone).startswith(expected)


def test_a_duplicate_command_gets_the_same_reply_and_changes_nothing(client, runtime, forums, run_jobs):
    reference = report(client, MINING_TEXT)
    run_jobs()
    form = twilio_form(f"OK {reference}", KENIEBA_PRIMARY)
    first = signed_post(client, "/webhooks/twilio/sms", form).get_data(as_text=True)
    second = signed_post(client, "/webhooks/twilio/sms", form).get_data(as_text=True)
    assert first == second and "pris en charge, merci" in second
    assert len(messages(runtime, kind="command")) == 1 and len(messages(runtime, kind="reply")) == 1


def test_acknowledging_sends_the_reporter_a_neutral_follow_up(client, runtime, forums, run_jobs, fake_twilio):
    reference = report(client, MINING_TEXT)
    run_jobs()
    sms(client, f"OK {reference}", sender=KENIEBA_PRIMARY)
    run_jobs()
    assert texts_to(fake_twilio, REPORTER) == [f"Votre message Ref {reference} a ete pris en charge. Merci."]
    sms(client, f"FIN {reference}", sender=KENIEBA_PRIMARY)
    run_jobs()
    assert len(texts_to(fake_twilio, REPORTER)) == 1                 # once per report


@pytest.mark.parametrize("text", ["Une femme violee a Kenieba hier soir",
                                  "Des jihadistes ont attaque un village pres de Kenieba"])
def test_no_follow_up_by_default_for_gender_violence_and_extremism(client, runtime, forums, run_jobs,
                                                                   fake_twilio, text):
    reference = report(client, text)
    run_jobs()
    coordinator = fake_twilio.requests[0].form["To"]
    assert sms(client, f"OK {reference}", sender=coordinator).startswith(f"{reference} pris en charge")
    run_jobs()
    assert texts_to(fake_twilio, REPORTER) == []


def test_the_loop_guard_stops_answering_an_auto_responder(client, runtime, forums):
    replies = [sms(client, "Je suis absent, je vous recontacte", sender=KENIEBA_PRIMARY) for _ in range(4)]
    assert replies[:3] == [replies[0]] * 3 and replies[3] is None
    refused = messages(runtime, kind="reply")[-1]
    assert refused.status == "failed" and refused.failure_reason.startswith("loop guard")
