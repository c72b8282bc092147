"""The second baseline: a straightforward durable webhook, as a first version would be written.

Signature check, one ORM insert committed, one RQ enqueue, TwiML back: the "one ORM insert
and one RQ enqueue per request" that issue 9 quotes at about 0.32 x the bare endpoint on
its machine. Served with the same gunicorn settings in the same run, it says how much of
the gap to the bare endpoint any durable webhook pays on this machine, and how much is the
gateway's own. Its rows go to a table of its own and its jobs to a queue no worker reads
(both emptied by the bench); the job function is never run.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from flask import Flask, abort, request
from redis import Redis
from rq import Queue
from sqlalchemy import DateTime, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from twilio.request_validator import RequestValidator

from bench.ingestkit.bare_app import healthz, receipt

QUEUE = "bench-naive"


class Base(DeclarativeBase):
    pass


class NaiveMessage(Base):
    __tablename__ = "bench_naive_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    sender: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


engine = create_engine(os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
Base.metadata.create_all(engine)
queue = Queue(QUEUE, connection=Redis.from_url(os.environ["REDIS_URL"]))
validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
app = Flask(__name__)


def process(message_id: int) -> None:
    """What a worker would run; never run here."""


@app.post("/webhooks/twilio/sms")
def twilio_sms():
    if not validator.validate(request.url, request.form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    form = request.form
    with Session(engine) as session:
        message = NaiveMessage(sid=form["MessageSid"], sender=form["From"], body=form["Body"],
                               received_at=datetime.now(timezone.utc))
        session.add(message)
        session.commit()
        queue.enqueue(process, message.id)
    return receipt()


app.add_url_rule("/healthz", view_func=healthz)
