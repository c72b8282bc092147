"""/staff/trends and /staff/trends.csv (DESIGN §3) behind the login, audited, small counts masked."""
from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import AuditEvent
from tests.helpers import send_sms


def actions(runtime) -> list[str]:
    with runtime.transaction() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_trends_page_and_export_are_served_to_staff_and_audited(signed_in, client, runtime, run_jobs, clock):
    send_sms(client, "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba")
    run_jobs()
    clock.advance(days=8)                             # the export covers whole weeks before this one
    admin = signed_in("admin")
    page = admin.get("/staff/trends")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    export = admin.get("/staff/trends.csv?hxl=1")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert "#adm1" in text and "<3" in text          # one report: masked outside staff
    assert {"trends.view", "trends.export"} <= set(actions(runtime))


def test_trends_refuse_anonymous_requests(client):
    for path in ("/staff/trends", "/staff/trends.csv"):
        response = client.get(path)
        assert response.status_code in (302, 401, 403)
        assert "<svg" not in response.get_data(as_text=True)
