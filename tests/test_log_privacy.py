"""A full run's logs hold no message body and no clear reporter number."""
from __future__ import annotations

import logging

from sqlalchemy import select

from gateway.logs import KeyValueFormatter
from gateway.store.models import Report
from tests.helpers import send_sms, signed_post

SECRET_BODY = "Les hommes du commandant Zakaria cachent des armes a Kenieba"
NUMBER = "+22365987654"
NUMBER_FORMS = (NUMBER, "65987654", "65 98 76 54", "22365987654")


def test_logs_of_a_full_run_hold_no_body_and_no_number(client, runtime, forums, run_jobs, caplog):
    caplog.set_level(logging.DEBUG)
    send_sms(client, SECRET_BODY, sender=NUMBER)
    send_sms(client, "", sender="not a number")                  # rejected input is logged too
    run_jobs()
    with runtime.transaction() as session:
        reference = session.scalar(select(Report.reference))
    signed_post(client, "/webhooks/twilio/status", {"MessageSid": "SM" + "7" * 32, "MessageStatus": "sent"})
    formatter = KeyValueFormatter("%(name)s %(message)s")
    text = "\n".join(formatter.format(record) for record in caplog.records)
    assert "report processed" in text and "inbound sms" in text   # the run was logged
    for secret in (SECRET_BODY, "Zakaria", "cachent des armes", *NUMBER_FORMS):
        assert secret not in text, secret
    assert reference not in text                                  # not even the reference code
