"""Playing phones in end-to-end tests: send through the webhook, read replies and what was sent."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from gateway.store.models import Message, Report
from tests.helpers import REPORTER, send_sms

TWIML_MESSAGE = re.compile(r"<Message>(.*)</Message>", re.S)
KENIEBA_PRIMARY, KENIEBA_BACKUP = "+22376000001", "+22366000002"
BORDER_PRIMARY = "+22376000011"
TRIAGE_DESK = "+22370000009"
MINING_TEXT = "Bagarre entre orpailleurs sur le site d'orpaillage de Kenieba"


def sms(client, body: str, sender: str = REPORTER) -> str | None:
    """Send an SMS through the Twilio webhook; return the inline reply (None: no reply)."""
    _, response = send_sms(client, body, sender)
    assert response.status_code == 200, response.get_data(as_text=True)
    match = TWIML_MESSAGE.search(response.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else None


def report(client, text: str, sender: str = REPORTER) -> str:
    """Send a report; return its reference from the receipt."""
    return re.search(r"Ref ([A-Z0-9]{6})", sms(client, text, sender)).group(1)


def texts_to(fake_twilio, number: str) -> list[str]:
    """What the fake Twilio was asked to send to `number`, in order."""
    return [r.form["Body"] for r in fake_twilio.requests if r.form.get("To") == number]


def report_row(runtime, reference: str) -> Report:
    with runtime.transaction() as session:
        return session.scalar(select(Report).where(Report.reference == reference))


def messages(runtime, **where) -> list[Message]:
    with runtime.transaction() as session:
        query = select(Message).order_by(Message.id)
        for key, value in where.items():
            query = query.where(getattr(Message, key) == value)
        return list(session.scalars(query))
