"""Staff accounts, signed-in clients and a few routed reports for the console and API tests."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gateway.auth import hash_password, new_api_token
from gateway.store.alerts import AlertTarget, coordinators_of, create_alerts
from gateway.store.models import Report
from gateway.store.staff import add_token, create_staff
from tests.helpers import send_sms

PASSWORD = "correct horse battery"
_HASH = {}
# (email, role, forums); the coordinator reads only the Kéniéba mining forum
ACCOUNTS = {
    "admin": ("admin@example.ml", "admin", []),
    "auditor": ("auditor@example.ml", "auditor", []),
    "kenieba": ("kenieba@example.ml", "coordinator", ["kenieba-mining"]),
    "mopti": ("mopti@example.ml", "coordinator", ["mopti-women-youth"]),
}
KENIEBA_TEXT = "Bagarre entre orpailleurs sur le site de Kenieba, des blesses"
MOPTI_TEXT = "Des hommes armes menacent les femmes du village pres de Mopti, violences contre les femmes"


def password_hash() -> str:
    if "hash" not in _HASH:                   # argon2 is slow on purpose: hash once per test session
        _HASH["hash"] = hash_password(PASSWORD)
    return _HASH["hash"]


@pytest.fixture
def staff(runtime, forums) -> dict[str, int]:
    ids = {}
    with runtime.transaction() as session:
        for key, (email, role, forum_ids) in ACCOUNTS.items():
            ids[key] = create_staff(session, email=email, password_hash=password_hash(), role=role,
                                    forum_ids=forum_ids, now=runtime.now()).id
    return ids


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(app, who: str, password: str = PASSWORD):
    client = app.test_client()
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login", data={"email": ACCOUNTS[who][0], "password": password,
                                                 "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def signed_in(app, staff):
    """signed_in('admin') -> a test client with that account's session."""
    return lambda who: sign_in(app, who)


def form_token(client, path: str) -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


@dataclass(frozen=True)
class Routed:
    kenieba: str        # reference of a report routed to kenieba-mining only
    mopti: str          # reference of a report routed to mopti-women-youth only


def route_to(runtime, reference: str, forum_id: str, *, category: str, region: str, cercle: str | None) -> None:
    """Route a received report to one forum, as the pipeline would, without depending on the classifier."""
    with runtime.transaction() as session:
        report = session.scalar(select(Report).where(Report.reference == reference))
        report.category, report.confidence, report.urgency = category, 0.9, "normal"
        report.region_pcode, report.cercle_pcode = region, cercle
        report.status, report.processed_at = "routed", runtime.now()
        targets = [AlertTarget(forum_id, person.id, "fr", "subscription")
                   for person in coordinators_of(session, forum_id) if not person.backup]
        ids = create_alerts(session, report_id=report.id, targets=targets, texts={"fr": f"ALERTE {reference}"},
                            provider="console", now=runtime.now())
    for message in ids:
        runtime.queues.enqueue_send(message.id)


def reference_of(response) -> str:
    return re.search(r"Ref ([0-9A-Z]+)", response.get_data(as_text=True)).group(1)


@pytest.fixture
def routed(client, runtime, forums, run_jobs) -> Routed:
    """Two reports through the real webhook, routed to two different forums, alerts sent."""
    kenieba = reference_of(send_sms(client, KENIEBA_TEXT, sender="+22376123456")[1])
    mopti = reference_of(send_sms(client, MOPTI_TEXT, sender="+22365987654")[1])
    route_to(runtime, kenieba, "kenieba-mining", category="resource_conflict", region="ML01", cercle="ML0104")
    route_to(runtime, mopti, "mopti-women-youth", category="gender_based_violence", region="ML05", cercle="ML0501")
    run_jobs()
    return Routed(kenieba=kenieba, mopti=mopti)


@pytest.fixture
def api_token(runtime, staff):
    """api_token('kenieba') -> a bearer token for that account."""
    def issue(who: str) -> str:
        token, digest = new_api_token()
        with runtime.transaction() as session:
            from gateway.store.staff import find_by_email
            add_token(session, find_by_email(session, ACCOUNTS[who][0]), name="test", digest=digest, now=runtime.now())
        return token
    return issue
