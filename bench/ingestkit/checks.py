"""After the load: every accepted message is stored exactly once, every report processed."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from gateway.store.models import Message, Report


@dataclass(frozen=True)
class Accounting:
    accepted: int                 # 200 replies the load generator saw
    accepted_distinct: int        # distinct reference codes among them
    inbound_messages: int         # inbound rows in the database
    reports: int
    accepted_missing: int         # accepted references with no report: lost
    messages_without_report: int
    reports_shared: int           # reports pointed at by more than one inbound message
    duplicate_message_ids: int    # (provider, MessageSid) stored more than once

    @property
    def zero_loss(self) -> bool:
        return (self.accepted_missing == 0 and self.messages_without_report == 0 and self.reports_shared == 0
                and self.duplicate_message_ids == 0 and self.accepted == self.accepted_distinct)

    def as_dict(self) -> dict:
        return {**asdict(self), "zero_loss": self.zero_loss}


def account(session, references: list[str]) -> Accounting:
    inbound = Message.direction == "in"
    stored = set(session.scalars(select(Report.reference)))
    shared = select(Message.report_id).where(inbound).group_by(Message.report_id).having(func.count() > 1)
    twice = select(Message.provider_message_id).where(inbound).group_by(
        Message.provider, Message.provider_message_id).having(func.count() > 1)
    return Accounting(
        accepted=len(references), accepted_distinct=len(set(references)),
        inbound_messages=session.scalar(select(func.count()).where(inbound)),
        reports=len(stored),
        accepted_missing=len(set(references) - stored),
        messages_without_report=session.scalar(select(func.count()).where(inbound, Message.report_id.is_(None))),
        reports_shared=len(session.scalars(shared).all()),
        duplicate_message_ids=len(session.scalars(twice).all()))


def unprocessed(session) -> int:
    return session.scalar(select(func.count()).select_from(Report).where(Report.status == "received"))


def wait_processed(sessions, timeout: float, poll: float = 0.5) -> tuple[int, float]:
    """Wait until no report is left in 'received'; return (left, seconds waited)."""
    began = time.monotonic()
    while True:
        with sessions() as session:
            left = unprocessed(session)
        waited = time.monotonic() - began
        if left == 0 or waited > timeout:
            return left, waited
        time.sleep(poll)


def outbound_summary(session) -> dict[str, int]:
    rows = session.execute(select(Message.kind, Message.status, func.count()).where(Message.direction == "out")
                           .group_by(Message.kind, Message.status))
    return {f"{kind}:{status}": count for kind, status, count in rows}
