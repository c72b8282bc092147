"""Synthetic report histories, written straight into the reports table (the pipeline is not under test)."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.store.models import Message, Report, Reporter

_serial = itertools.count(1)


def place(pcode: str) -> dict:
    return dict(region_pcode=pcode[:4], cercle_pcode=pcode[:6] if len(pcode) >= 6 else None,
                commune_pcode=pcode[:8] if len(pcode) >= 8 else None)


def insert_reports(session, category: str, pcode: str | None, at: datetime, count: int = 1, *,
                   same_reporter: bool = False, status: str = "routed") -> None:
    reporter = None
    for _ in range(count):
        if reporter is None or not same_reporter:
            reporter = Reporter(pseudonym=f"{next(_serial):064x}", language="fr", opted_out=False,
                                created_at=at, updated_at=at)
            session.add(reporter)
            session.flush()
        session.add(Report(reference=f"T{next(_serial):08d}", channel="sms", reporter_id=reporter.id,
                           language="fr", text="texte secret", details={}, category=category,
                           confidence=0.9, urgency="normal", places=[], status=status,
                           created_at=at, updated_at=at, **(place(pcode) if pcode else {})))


@pytest.fixture
def add_reports(runtime):
    """add_reports(category, pcode, at, count=1, same_reporter=False, status="routed")."""
    def add(*args, **kwargs) -> None:
        with runtime.transaction() as session:
            insert_reports(session, *args, **kwargs)
    return add


@pytest.fixture
def add_history(runtime, clock):
    """add_history(category, pcode, weekly, days=...): weekly[0] is the current 7 days, weekly[k]
    the k-th 7-day window before; each window's reports are spread over `days` different days."""
    def add(category: str, pcode: str, weekly: list[int], *, days: int = 3) -> None:
        with runtime.transaction() as session:
            for back, count in enumerate(weekly):
                for index in range(count):
                    at = clock() - timedelta(days=7 * back + index % days, hours=1 + index % 5)
                    insert_reports(session, category, pcode, at)
    return add


def outbound(runtime, kind: str) -> list[Message]:
    with runtime.transaction() as session:
        return list(session.scalars(select(Message).where(Message.kind == kind).order_by(Message.id)))
