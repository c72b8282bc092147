"""Report queue filters and pages, report detail and timeline, triage corrections, reveals."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.store.models import Alert, AuditEvent, Coordinator, Message, Report, ReportCorrection
from tests.console.conftest import form_token
from tests.helpers import send_sms
from tests.loop.helpers import KENIEBA_PRIMARY, TRIAGE_DESK, report, report_row, sms
from workers.reroute import reroute_report

MOPTI_PRIMARY = "+22376000031"


def refs_on(client, query: str = "") -> str:
    response = client.get(f"/staff/reports{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


FILTERS = [
    # (query, shows kenieba report, shows mopti report)
    ("", True, True),
    ("?category=resource_conflict", True, False),
    ("?region=ML05", False, True),
    ("?cercle=ML0104", True, False),
    ("?forum=mopti-women-youth", False, True),
    ("?status=routed", True, True),
    ("?status=closed", False, False),
    ("?from=2026-11-02&to=2026-11-02", True, True),
    ("?from=2026-11-03", False, False),
    ("?overdue=1", False, False),
]


@pytest.mark.parametrize("query, kenieba, mopti", FILTERS)
def test_the_queue_filters(signed_in, routed, query, kenieba, mopti):
    page = refs_on(signed_in("auditor"), query)
    assert (routed.kenieba in page, routed.mopti in page) == (kenieba, mopti)


@pytest.mark.parametrize("query", ["?category=nope", "?from=yesterday", "?before=abc", "?region=XX99",
                                   "?status=" + "x" * 500])
def test_bad_filters_get_a_400_not_a_500(signed_in, query):
    assert signed_in("admin").get(f"/staff/reports{query}").status_code == 400


def test_an_alert_past_its_forums_deadline_is_overdue(signed_in, routed, clock):
    clock.advance(hours=25)                     # kenieba-mining acknowledges within 24 h, mopti within 48 h
    page = refs_on(signed_in("admin"), "?overdue=1")
    assert routed.kenieba in page and routed.mopti not in page


def test_the_queue_pages_by_keyset_newest_first(client, runtime, forums, signed_in, clock):
    references = []
    for index in range(53):
        clock.advance(minutes=1)
        _form, response = send_sms(client, f"Signalement numero {index}")
        references.append(response.get_data(as_text=True).split("Ref ")[1][:6])
    admin = signed_in("admin")
    first = refs_on(admin)
    assert references[-1] in first and references[2] not in first
    next_link = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "before=" in next_link and "OFFSET" not in next_link
    second = admin.get(next_link).get_data(as_text=True)
    assert all(ref in second for ref in references[:3]) and references[-1] not in second
    assert 'rel="next"' not in second


def test_the_detail_page_shows_the_timeline_and_a_masked_reporter(signed_in, routed, runtime, clock):
    clock.advance(minutes=5)
    page = signed_in("admin").get(f"/staff/reports/{routed.kenieba}").get_data(as_text=True)
    for step in ("Reçu", "Classé", "Orienté", "Alerte envoyée"):
        assert step in page
    assert "Coordinateur Kéniéba" in page and "R-" in page
    assert "+223 •• •• •• 56" in page and "76123456" not in page


def test_the_timeline_shows_acknowledgement_and_closing(signed_in, routed, runtime, clock):
    from gateway.store.models import Alert

    clock.advance(hours=1)
    with runtime.transaction() as session:
        report = session.scalar(select(Report).where(Report.reference == routed.kenieba))
        for alert in session.scalars(select(Alert).where(Alert.report_id == report.id)):
            alert.status, alert.acknowledged_at = "acknowledged", runtime.now()
        report.status, report.updated_at = "closed", runtime.now() + timedelta(hours=1)
    page = signed_in("admin").get(f"/staff/reports/{routed.kenieba}").get_data(as_text=True)
    assert "Pris en charge" in page and "Clôturé" in page
    assert page.index("Alerte envoyée") < page.index("Pris en charge") < page.index("Clôturé")


def test_viewing_a_report_is_audited(signed_in, routed, runtime):
    signed_in("auditor").get(f"/staff/reports/{routed.kenieba}")
    with runtime.transaction() as session:
        event = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.actor, event.action, event.target) == ("auditor@example.ml", "report.view", routed.kenieba)


def triage(client, reference: str, **form):
    form.setdefault("csrf_token", form_token(client, f"/staff/reports/{reference}"))
    return client.post(f"/staff/reports/{reference}/triage", data=form)


def test_triage_stores_a_correction_row_and_audits_it(signed_in, routed, runtime):
    admin = signed_in("admin")
    response = triage(admin, routed.kenieba, category="organised_crime", place="ML0105", note="trafic d'or")
    assert response.status_code == 302
    with runtime.transaction() as session:
        report = session.scalar(select(Report).where(Report.reference == routed.kenieba))
        correction = session.scalar(select(ReportCorrection))
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "report.correct"))
    assert (report.category, report.region_pcode, report.cercle_pcode) == ("organised_crime", "ML01", "ML0105")
    assert (correction.old_category, correction.new_category) == ("resource_conflict", "organised_crime")
    assert (correction.old_cercle_pcode, correction.new_cercle_pcode) == ("ML0104", "ML0105")
    assert correction.text.startswith("Bagarre") and correction.note == "trafic d'or"
    assert event.target == routed.kenieba and event.details["category"] == ["resource_conflict", "organised_crime"]
    page = admin.get(f"/staff/reports/{routed.kenieba}").get_data(as_text=True)
    assert "Corrigé" in page and "admin@example.ml" in page


def test_a_triage_that_changes_nothing_records_nothing(signed_in, routed, runtime):
    triage(signed_in("admin"), routed.kenieba, category="resource_conflict", place="ML0104")
    with runtime.transaction() as session:
        assert session.scalar(select(ReportCorrection)) is None


@pytest.mark.parametrize("form", [{"category": "made_up"}, {"category": ""}, {"category": "other", "place": "ML99"}])
def test_a_bad_triage_is_a_400(signed_in, routed, form):
    assert triage(signed_in("admin"), routed.kenieba, **form).status_code == 400


def reveal(client, reference: str, reason: str):
    token = form_token(client, f"/staff/reports/{reference}")
    return client.post(f"/staff/reports/{reference}/reveal", data={"reason": reason, "csrf_token": token})


def test_an_admin_reveals_a_number_with_a_written_reason_and_it_is_audited(signed_in, routed, runtime):
    response = reveal(signed_in("admin"), routed.kenieba, "Menace de mort signalée, la police demande le contact")
    assert response.status_code == 200 and "+22376123456" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    with runtime.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "reporter.reveal"))
    assert event.target == routed.kenieba and event.details["reason"].startswith("Menace de mort")
    assert "+22376123456" not in str(event.details)


def test_a_reveal_without_a_real_reason_shows_nothing(signed_in, routed, runtime):
    admin = signed_in("admin")
    response = reveal(admin, routed.kenieba, "because")
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "+22376123456" not in page and "motif écrit" in page


# --- a correction routes the report again ------------------------------------------------------

VAGUE = "Il y a un probleme ici, venez voir"          # no category or place the classifier trusts


def texted(runtime, phone: str) -> list[str]:
    """What was handed to the (console) provider for the coordinator with this phone, in order."""
    with runtime.transaction() as session:
        return list(session.scalars(select(Message.body).join(Coordinator, Coordinator.id == Message.coordinator_id)
                                    .where(Coordinator.phone == phone, Message.status == "sent").order_by(Message.id)))


def alerts_of(runtime, reference: str) -> list[tuple[str, str, str]]:
    with runtime.transaction() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        return sorted((a.forum_id, a.reason, a.status) for a in session.scalars(
            select(Alert).where(Alert.report_id == report.id)))


def test_a_triaged_report_corrected_by_staff_goes_to_the_forum_it_concerns(client, runtime, forums, run_jobs,
                                                                         signed_in):
    reference = report(client, VAGUE)
    run_jobs()
    assert report_row(runtime, reference).status == "triage" and len(texted(runtime, TRIAGE_DESK)) == 1
    assert texted(runtime, KENIEBA_PRIMARY) == []
    triage(signed_in("admin"), reference, category="resource_conflict", place="ML0104")
    run_jobs()
    [alert] = texted(runtime, KENIEBA_PRIMARY)
    assert alert.startswith(f"ALERTE {reference} Conflit terre/eau/mines - K")
    assert report_row(runtime, reference).status == "routed"
    assert alerts_of(runtime, reference) == [("kenieba-mining", "correction", "pending"),
                                             ("triage", "triage", "acknowledged")]   # staff handled it
    assert "Signalements" in sms(client, f"INFO {reference}", sender=KENIEBA_PRIMARY)  # may act on it now


def test_a_routed_report_corrected_to_another_place_alerts_that_forum_too_and_only_once(
        client, runtime, routed, run_jobs, signed_in):
    admin = signed_in("admin")
    triage(admin, routed.kenieba, category="gender_based_violence", place="ML0501")
    run_jobs()
    assert [text.split()[1] for text in texted(runtime, MOPTI_PRIMARY)] == [routed.mopti, routed.kenieba]
    assert ("kenieba-mining", "subscription", "pending") in alerts_of(runtime, routed.kenieba)
    reroute_report(runtime, report_row(runtime, routed.kenieba).id)          # a repeated job: nothing new
    triage(admin, routed.kenieba, category="gender_based_violence", place="ML0501", note="again")   # no change
    run_jobs()
    assert len(texted(runtime, MOPTI_PRIMARY)) == 2


def test_a_correction_matching_no_forum_leaves_the_report_with_the_triage_desk(client, runtime, forums, run_jobs,
                                                                              signed_in):
    reference = report(client, VAGUE)
    run_jobs()
    triage(signed_in("admin"), reference, category="other", place="ML0104")
    run_jobs()
    assert report_row(runtime, reference).status == "triage"
    assert alerts_of(runtime, reference) == [("triage", "triage", "pending")]
