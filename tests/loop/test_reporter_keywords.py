"""Reporters' keywords through the webhook: STOP then silence, START, SUIVI, AIDE, language."""
from __future__ import annotations

from sqlalchemy import func, select

from gateway.domain import InboundSms
from gateway.intake import receive_sms
from gateway.store.models import Report, Reporter
from tests.helpers import REPORTER, new_sid
from tests.loop.helpers import KENIEBA_PRIMARY, MINING_TEXT, messages, report, sms, texts_to

OTHER_REPORTER = "+22365111222"


def reports_in_db(runtime) -> int:
    with runtime.transaction() as session:
        return session.scalar(select(func.count()).select_from(Report))


def test_stop_then_silence_until_start(client, runtime, forums, run_jobs, fake_twilio):
    assert sms(client, "STOP") == "Vous ne recevrez plus de SMS de notre part. Pour reprendre, envoyez START."
    assert sms(client, MINING_TEXT) is None                      # no receipt...
    assert reports_in_db(runtime) == 1                            # ...but the report is kept and routed
    run_jobs()
    reference = _only_reference(runtime)
    sms(client, f"OK {reference}", sender=KENIEBA_PRIMARY)        # would trigger a follow-up
    for keyword in ("AIDE", f"SUIVI {reference}", "STOP", "EN"):
        assert sms(client, keyword) is None
    run_jobs()
    assert texts_to(fake_twilio, REPORTER) == []
    assert sms(client, "START") == "Done: you will receive our SMS again. Send HELP for help."   # EN applied
    assert sms(client, MINING_TEXT).startswith("Thank you, message received. Ref ")


def _only_reference(runtime) -> str:
    with runtime.transaction() as session:
        return session.scalar(select(Report.reference))


def test_a_message_queued_before_stop_is_not_sent_after_it(client, runtime, forums, run_jobs, fake_twilio):
    reference = report(client, MINING_TEXT)
    run_jobs()
    sms(client, f"OK {reference}", sender=KENIEBA_PRIMARY)       # follow-up queued, not yet sent
    sms(client, "ARRET")
    run_jobs()
    assert texts_to(fake_twilio, REPORTER) == []
    [follow_up] = messages(runtime, kind="follow_up")
    assert (follow_up.status, follow_up.failure_reason) == ("suppressed", "reporter opted out (STOP)")


def test_suivi_answers_only_about_the_reporters_own_report(client, runtime, forums, run_jobs):
    mine = report(client, MINING_TEXT)
    theirs = report(client, MINING_TEXT, sender=OTHER_REPORTER)
    assert sms(client, f"SUIVI {mine}") == f"Ref {mine}: recu, en cours de traitement."
    run_jobs()
    assert sms(client, f"suivi {mine.lower()}") == f"Ref {mine}: recu, en cours de traitement."   # no routing shown
    sms(client, f"OK {mine}", sender=KENIEBA_PRIMARY)
    assert sms(client, f"SUIVI {mine}") == f"Ref {mine}: pris en charge."
    unknown = sms(client, f"SUIVI {theirs}")
    assert unknown == f"Ref {theirs} introuvable. Verifiez le code recu apres votre message."
    assert sms(client, "SUIVI ACDEFH") == unknown.replace(theirs, "ACDEFH")
    assert sms(client, "SUIVI") == "Envoyez SUIVI puis votre reference, par exemple SUIVI 64DXNW."


def test_keywords_are_logged_but_create_no_report(client, runtime, forums):
    for keyword in ("AIDE", "HELP", "SUIVI ACDEFH", "FR"):
        assert sms(client, keyword)
    assert reports_in_db(runtime) == 0
    inbound = messages(runtime, direction="in")
    assert [m.kind for m in inbound] == ["keyword"] * 4 and all(m.reporter_id for m in inbound)


def test_the_language_switch_changes_every_later_message(client, runtime, forums):
    assert sms(client, "ENGLISH") == "Language: English."
    assert sms(client, MINING_TEXT).startswith("Thank you, message received.")
    assert sms(client, "bamanankan") == "Kan: bamanankan."
    with runtime.transaction() as session:
        assert session.scalar(select(Reporter.language)) == "bm"


def test_replies_are_queued_and_sent_when_the_provider_cannot_answer_inline(app, runtime, forums, run_jobs,
                                                                          fake_twilio):
    """The path of providers without inline replies (Africa's Talking calls it this way)."""
    def receive(body: str):
        inbound = InboundSms(provider="twilio", provider_message_id=new_sid(), sender=REPORTER,
                             recipient="+15005550006", body=body)
        return receive_sms(runtime, inbound, reply_inline=False)

    receipt = receive(MINING_TEXT)
    run_jobs()
    stop = receive("STOP")
    late = receive("SUIVI ACDEFH")                                # opted out: no reply at all
    run_jobs()
    assert texts_to(fake_twilio, REPORTER) == [receipt.reply, stop.reply]   # the STOP confirmation goes out
    assert late.reply is None
    assert [m.status for m in messages(runtime, kind="receipt")] == ["queued"]   # Twilio's word


def test_a_receipt_still_queued_when_stop_arrives_is_suppressed(app, runtime, forums, run_jobs, fake_twilio):
    inbound = InboundSms(provider="twilio", provider_message_id=new_sid(), sender=REPORTER,
                         recipient="+15005550006", body=MINING_TEXT)
    receive_sms(runtime, inbound, reply_inline=False)
    sms(app.test_client(), "STOP")
    run_jobs()
    assert texts_to(fake_twilio, REPORTER) == []
    assert [m.status for m in messages(runtime, kind="receipt")] == ["suppressed"]
