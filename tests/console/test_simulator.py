"""The phone simulator posts through the real Twilio webhook: a report is made and the receipt shown."""
from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import AuditEvent, Message, Report
from tests.console.conftest import form_token


def test_a_simulated_sms_takes_the_real_path(signed_in, runtime):
    admin = signed_in("admin")
    page = admin.post("/staff/simulator", data={"csrf_token": form_token(admin, "/staff/simulator"),
                                                "sender": "+22376111222", "text": "Vol de betail a Nara"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Merci, message recu. Ref " in html
    with runtime.transaction() as session:
        report = session.scalar(select(Report))
        inbound = session.scalar(select(Message).where(Message.direction == "in"))
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "simulator.sms"))
    assert report.text == "Vol de betail a Nara" and inbound.provider == "twilio"
    assert f"Ref {report.reference}" in html and event.target == report.reference
    assert "USSD" in html and "Pas encore disponible" in html


def test_a_bad_number_is_answered_not_crashed(signed_in):
    admin = signed_in("admin")
    page = admin.post("/staff/simulator", data={"csrf_token": form_token(admin, "/staff/simulator"),
                                                "sender": "12", "text": "x"})
    assert page.status_code == 200 and "HTTP 400" in page.get_data(as_text=True)
