"""The message log: every message with its status and failure reason, searchable, CSV export."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select, update

from gateway.store.models import AuditEvent, Message
from gateway.web.console.messages import csv_cell
from tests.helpers import send_sms


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_log_shows_inbound_and_outbound_with_status_and_failure_reason(signed_in, routed, runtime):
    with runtime.transaction() as session:
        session.execute(update(Message).where(Message.kind == "alert", Message.report_id.isnot(None))
                        .values(status="failed", failure_reason="provider error 30003"))
    page = signed_in("admin").get("/staff/messages").get_data(as_text=True)
    for text in ("orpailleurs", "Merci", "ALERTE", "échec", "provider error 30003", "Coordinateur Kéniéba",
                 "+223 •• •• •• 56"):
        assert text in page, text
    assert "76123456" not in page and "65987654" not in page


SEARCHES = [
    # (query, expected substrings, absent substrings)
    ("?q=orpailleurs", ["orpailleurs"], ["femmes du village"]),
    ("?q=ORPAILLEURS", ["orpailleurs"], ["femmes du village"]),
    ("?q=100%25", [], ["orpailleurs"]),                  # % is a literal, not a wildcard
    ("?direction=out&kind=alert", ["ALERTE"], ["orpailleurs"]),
    ("?direction=in", ["orpailleurs", "femmes du village"], ["ALERTE"]),
    ("?status=replied_inline", ["Merci"], ["ALERTE"]),
    ("?from=2026-11-03", [], ["orpailleurs", "ALERTE"]),
]


@pytest.mark.parametrize("query, present, absent", SEARCHES)
def test_the_log_is_searchable(signed_in, routed, query, present, absent):
    page = signed_in("auditor").get(f"/staff/messages{query}").get_data(as_text=True)
    assert all(text in page for text in present) and not any(text in page for text in absent)


def test_a_reference_finds_every_message_of_that_report(signed_in, routed):
    page = signed_in("admin").get(f"/staff/messages?q={routed.kenieba.lower()}").get_data(as_text=True)
    assert "orpailleurs" in page and f"ALERTE {routed.kenieba}" in page and "femmes du village" not in page


def test_searches_are_audited(signed_in, routed, runtime):
    signed_in("auditor").get("/staff/messages?q=orpailleurs&direction=in")
    with runtime.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "messages.search"))
    assert event.details["filters"] == {"q": "orpailleurs", "direction": "in"}


def test_the_csv_export_holds_every_match_masked_and_is_audited(signed_in, routed, runtime):
    response = signed_in("admin").get("/staff/messages.csv?direction=in")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert {row["body"] for row in rows} >= {"Bagarre entre orpailleurs sur le site de Kenieba, des blesses"}
    assert all(row["direction"] == "in" and row["party"].startswith("R-") for row in rows)
    assert "76123456" not in response.get_data(as_text=True)
    with runtime.transaction() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "messages.export"))
    assert event.details["filters"] == {"direction": "in"}


def test_a_formula_in_an_sms_stays_text_in_the_export(client, forums, signed_in):
    send_sms(client, "=HYPERLINK(\"http://evil.example\",\"clic\")")
    rows = rows_of(signed_in("admin").get("/staff/messages.csv?direction=in"))
    assert rows[0]["body"].startswith("'=HYPERLINK")


@pytest.mark.parametrize("value, expected", [("=1+1", "'=1+1"), ("+223", "'+223"), ("-x", "'-x"), ("@a", "'@a"),
                                             ("ok", "ok"), (None, ""), (12, "12")])
def test_csv_cells_never_start_a_formula(value, expected):
    assert csv_cell(value) == expected


@pytest.mark.parametrize("query", ["", "?from=2026-11-02&to=2026-11-03"])   # by id; by time within dates
def test_the_log_pages_by_keyset(client, forums, signed_in, clock, query):
    for index in range(30):
        clock.advance(seconds=index % 2)                   # some messages share a timestamp
        send_sms(client, f"message {index:02d}")            # 60 rows: each SMS and its receipt
    admin = signed_in("admin")
    first = admin.get(f"/staff/messages{query}").get_data(as_text=True)
    next_link = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = admin.get(next_link).get_data(as_text=True)
    assert "message 29" in first and "message 29" not in second
    assert "message 00" in second and "message 00" not in first
    shown = [int(n) for n in re.findall(r"message (\d\d)", first + second)]
    assert sorted(shown) == sorted(set(shown)) == list(range(30))    # nothing twice, nothing missed


def test_staff_see_which_provider_carried_each_message(signed_in, routed, runtime):
    """After a failover the message records the provider that took it, not the one it was queued for."""
    with runtime.transaction() as session:
        session.execute(update(Message).where(Message.kind == "alert", Message.report_id.isnot(None))
                        .values(provider="orange-fallback-test"))
    client = signed_in("admin")
    assert '<td class="provider">orange-fallback-test</td>' in client.get("/staff/messages").get_data(as_text=True)
    assert '<td class="provider">orange-fallback-test</td>' in \
        client.get(f"/staff/reports/{routed.kenieba}").get_data(as_text=True)
    assert {row["provider"] for row in rows_of(client.get("/staff/messages.csv?kind=alert"))} == {"orange-fallback-test"}
