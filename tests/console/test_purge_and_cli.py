"""`gateway purge` by retention settings, `gateway staff add|token|disable`, all audited."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import func, select

from gateway.cli import main
from gateway.retention import purge
from gateway.store.models import AuditEvent, Message, Report, ReportCorrection, Reporter, StaffForum, StaffUser
from gateway.store.staff import find_by_email
from tests.console.conftest import form_token
from tests.helpers import send_sms


def cli(config_env, *args, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), env=config_env, input=stdin)


def test_purge_removes_old_texts_and_numbers_and_keeps_deidentified_counts(client, runtime, config_env, routed,
                                                                          signed_in, clock):
    admin = signed_in("admin")
    admin.post(f"/staff/reports/{routed.kenieba}/triage", data={
        "csrf_token": form_token(admin, f"/staff/reports/{routed.kenieba}"), "category": "organised_crime"})
    clock.advance(days=40)
    send_sms(client, "Nouveau signalement recent", sender="+22365987654")     # the Mopti reporter writes again
    clock.advance(days=1)
    purge(runtime, days=30)
    with runtime.transaction() as session:
        reports = {r.reference: r for r in session.scalars(select(Report))}
        old = reports[routed.kenieba]
        recent = next(r for r in reports.values() if r.text == "Nouveau signalement recent")
        reporters = list(session.scalars(select(Reporter)))
        bodies = [m.body for m in session.scalars(select(Message))]
        correction = session.scalar(select(ReportCorrection))
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "purge"))
        counts = dict(session.execute(select(Report.category, func.count()).group_by(Report.category)).all())
    assert old.text is None and old.reporter_id is None and old.category == "organised_crime"
    assert old.cercle_pcode == "ML0104" and old.status == "routed"           # de-identified counts survive
    assert counts["organised_crime"] == 1 and counts["gender_based_violence"] == 1
    assert recent.text == "Nouveau signalement recent" and recent.reporter_id is not None
    assert [r.number_encrypted is not None for r in reporters] == [True]     # only the recent reporter is left
    assert "Nouveau signalement recent" in bodies and not any(b and "orpailleurs" in b for b in bodies)
    assert correction.text is None and correction.new_category == "organised_crime"
    assert event.actor == "cli" and event.details["days"] == 30 and event.details["reports"] == 2


def test_the_purge_command_keeps_an_opted_out_reporter_without_the_number(runtime, config_env, client, forums,
                                                                          clock):
    clock.current = datetime.now(timezone.utc) - timedelta(days=40)    # the command runs on the real clock
    send_sms(client, "Bonjour", sender="+22376123456")
    with runtime.transaction() as session:
        session.scalar(select(Reporter)).opted_out = True
    assert cli(config_env, "purge").exit_code == 0                     # default RETENTION_DAYS: 365
    with runtime.transaction() as session:
        assert session.scalar(select(Reporter)).number_encrypted is not None
    result = cli(dict(config_env, RETENTION_DAYS="30"), "purge")
    assert result.exit_code == 0 and "reports 1" in result.output
    with runtime.transaction() as session:
        reporter = session.scalar(select(Reporter))
    assert reporter.opted_out and reporter.number_encrypted is None and reporter.pseudonym


def test_staff_add_reads_the_password_from_stdin(runtime, config_env, forums):
    result = cli(config_env, "staff", "add", "Coord@Example.ml", "--role", "coordinator",
                 "--forum", "kenieba-mining", "--forum", "southwest-border", stdin="a long enough password\n")
    assert result.exit_code == 0, result.output
    with runtime.transaction() as session:
        user = find_by_email(session, "coord@example.ml")
        forums_of = set(session.scalars(select(StaffForum.forum_id).where(StaffForum.staff_id == user.id)))
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.create"))
    assert user.role == "coordinator" and forums_of == {"kenieba-mining", "southwest-border"}
    assert user.password_hash.startswith("$argon2id$") and event.target == "coord@example.ml"


STAFF_ADD_ERRORS = [
    (["x@example.ml", "--role", "coordinator"], "a long enough password\n", "needs at least one --forum"),
    (["x@example.ml", "--role", "admin", "--forum", "kenieba-mining"], "a long enough password\n", "take none"),
    (["x@example.ml", "--role", "coordinator", "--forum", "nowhere"], "a long enough password\n", "unknown forums"),
    (["x@example.ml", "--role", "admin"], "short\n", "at least 10 characters"),
    (["not-an-email", "--role", "admin"], "a long enough password\n", "not an e-mail"),
]


def test_staff_add_refuses_what_it_cannot_do(runtime, config_env, forums):
    for args, stdin, message in STAFF_ADD_ERRORS:
        result = CliRunner().invoke(main, ["staff", "add", *args], env=config_env, input=stdin)
        assert result.exit_code != 0 and message in (result.output + str(result.exception)), args
    with runtime.transaction() as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_staff_token_prints_a_token_that_opens_the_api(app, runtime, config_env, staff):
    result = cli(config_env, "staff", "token", "auditor@example.ml", "--name", "dashboard")
    token = result.output.strip()
    assert result.exit_code == 0 and token.startswith("gw_")
    response = app.test_client().get("/api/v1/forums", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert cli(config_env, "staff", "disable", "auditor@example.ml").exit_code == 0
    assert app.test_client().get("/api/v1/forums", headers={"Authorization": f"Bearer {token}"}).status_code == 401
