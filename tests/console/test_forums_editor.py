"""Forums and coordinators edited in the console by admins, every change audited."""
from __future__ import annotations

from sqlalchemy import select

from gateway.store.models import AuditEvent, Coordinator, Forum
from tests.console.conftest import form_token


def post(client, path: str, **form):
    form.setdefault("csrf_token", form_token(client, "/staff/forums"))
    return client.post(path, data=form)


def last_event(runtime) -> AuditEvent:
    with runtime.transaction() as session:
        return session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))


def test_an_admin_edits_a_forums_subscription(signed_in, runtime):
    admin = signed_in("admin")
    response = admin.post("/staff/forums/kenieba-mining/edit", data={
        "csrf_token": form_token(admin, "/staff/forums"), "name": "Forum de Kéniéba", "kind": "forum",
        "categories": ["resource_conflict", "organised_crime"], "areas": "ML0104, ML0105", "language": "fr",
        "ack_within_hours": "12", "active": "1"})
    assert response.status_code == 302
    with runtime.transaction() as session:
        forum = session.get(Forum, "kenieba-mining")
    assert forum.categories == ["resource_conflict", "organised_crime"] and forum.areas == ["ML0104", "ML0105"]
    event = last_event(runtime)
    assert event.action == "forum.edit" and event.details["changes"]["ack_within_hours"] == [24, 12]


def test_a_bad_forum_is_refused_with_the_reason(signed_in, runtime):
    admin = signed_in("admin")
    response = post(admin, "/staff/forums/new", id="Bad Slug", name="x", categories=["other"], areas="",
                    language="fr", ack_within_hours="12")
    assert response.status_code == 400 and "slug" in response.get_data(as_text=True)
    response = post(admin, "/staff/forums/new", id="gao-youth", name="Jeunes de Gao", categories=["nope"],
                    areas="ML07", language="fr", ack_within_hours="12")
    assert response.status_code == 400 and "unknown categories" in response.get_data(as_text=True)


def test_an_admin_creates_a_forum_and_adds_a_coordinator(signed_in, runtime):
    admin = signed_in("admin")
    assert post(admin, "/staff/forums/new", id="gao-youth", name="Jeunes de Gao", kind="working_group",
                categories=["violent_extremism"], areas="ML07", language="fr", ack_within_hours="24").status_code == 302
    assert post(admin, "/staff/forums/gao-youth/coordinators", name="Coordinatrice Gao", phone="76 00 00 77").status_code == 302
    with runtime.transaction() as session:
        person = session.scalar(select(Coordinator).where(Coordinator.forum_id == "gao-youth"))
    assert person.phone == "+22376000077" and not person.backup
    assert last_event(runtime).action == "coordinator.create"
    assert post(admin, f"/staff/coordinators/{person.id}", name="Coordinatrice Gao", backup="1").status_code == 302
    with runtime.transaction() as session:
        person = session.get(Coordinator, person.id)
    assert person.backup and not person.active
    assert last_event(runtime).details["changes"] == {"backup": [False, True], "active": [True, False]}


def test_a_bad_coordinator_number_is_refused(signed_in, runtime):
    admin = signed_in("admin")
    response = post(admin, "/staff/forums/kenieba-mining/coordinators", name="X", phone="not a phone")
    assert response.status_code == 302
    assert "invalide" in admin.get("/staff/forums").get_data(as_text=True)


def test_coordinators_see_only_their_forums_read_only(signed_in):
    page = signed_in("kenieba").get("/staff/forums").get_data(as_text=True)
    assert "Kéniéba" in page and "Ségou" not in page and "/edit" not in page and "csrf_token" in page


def test_a_forum_s_own_provider_is_shown_and_kept_when_the_console_edits_the_forum(signed_in, runtime):
    """The provider comes from the forums file; the console shows it and an edit leaves it alone."""
    with runtime.transaction() as session:
        session.get(Forum, "kenieba-mining").provider = "orange"
    admin = signed_in("admin")
    assert "Opérateur SMS: orange" in admin.get("/staff/forums").get_data(as_text=True)
    admin.post("/staff/forums/kenieba-mining/edit", data={
        "csrf_token": form_token(admin, "/staff/forums"), "name": "Forum de Kéniéba", "kind": "forum",
        "categories": ["resource_conflict"], "areas": "ML0104", "language": "fr", "ack_within_hours": "12",
        "active": "1"})
    with runtime.transaction() as session:
        assert session.get(Forum, "kenieba-mining").provider == "orange"
