"""De-identified counts for trends, and the record of warnings and digests sent.

Queries here return counts only: category, place P-codes and numbers. Never a report's text,
reference or reporter; the distinct-reporter count is computed inside the database.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Sequence

from sqlalchemy import Integer, case, distinct, func, literal, select, text
from sqlalchemy.orm import Session

from gateway.store.models import Report, TrendDigest, TrendWarning
from gateway.trends.cells import Cell, WarningRow

CLOSED = "closed"
# PostgreSQL's default 4 MB makes the planner sort these GROUP BYs on disk (it cannot estimate how
# few groups a CASE gives); with more memory for this transaction only it hash-aggregates them,
# ~3x faster at 100,000 reports (bench/bench_trends.py).
REPORTING_WORK_MEM = "32MB"


def bucket_counts(session: Session, edges: Sequence[datetime], *, reporters: bool = False) -> list[Cell]:
    """Counts of classified reports in buckets [edges[i], edges[i+1]) by category and place,
    and of distinct reporters when asked (a sort in the database: about twice the time).

    One portable query for ISO weeks, rolling 7-day windows or days alike: the bucket is a
    CASE over the edges (SQLite and PostgreSQL share no date-truncation function).
    """
    if len(edges) < 2:
        return []
    bucket = case(*((Report.created_at < edge, index) for index, edge in enumerate(edges[1:])))
    inner = _counted(select(bucket.label("bucket"))).where(
        Report.created_at >= edges[0], Report.created_at < edges[-1]).subquery()
    return _grouped(session, inner, reporters)


def open_counts(session: Session) -> list[Cell]:
    """Classified reports not yet closed, whenever they came, by category and place (bucket 0)."""
    inner = _counted(select(literal(0, Integer).label("bucket"))).where(
        Report.status != CLOSED).subquery()
    return _grouped(session, inner, reporters=False)


def _counted(query):
    # Reports without a reporter (purged mapping) count as one reporter each.
    reporter = func.coalesce(Report.reporter_id, -Report.id)
    return query.add_columns(Report.category, Report.region_pcode, Report.cercle_pcode,
                             Report.commune_pcode, reporter.label("who")).where(Report.category.is_not(None))


def _grouped(session: Session, inner, reporters: bool) -> list[Cell]:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{REPORTING_WORK_MEM}'"))
    keys = (inner.c.bucket, inner.c.category, inner.c.region_pcode, inner.c.cercle_pcode, inner.c.commune_pcode)
    counts = (func.count(), func.count(distinct(inner.c.who))) if reporters else (func.count(),)
    rows = session.execute(select(*keys, *counts).group_by(*keys))
    return [Cell(int(row[0]), *row[1:5], reports=row[5], reporters=row[6] if reporters else None) for row in rows]


def warned_since(session: Session, since: datetime) -> set[tuple[str, str]]:
    """(category, area) pairs warned at or after `since`: not to be warned again yet."""
    rows = session.execute(select(TrendWarning.category, TrendWarning.area_pcode)
                           .where(TrendWarning.created_at >= since))
    return {(category, area) for category, area in rows}


def record_warning(session: Session, *, category: str, area_pcode: str, observed: int, expected: float,
                   threshold: float, forum_ids: list[str], now: datetime) -> None:
    session.add(TrendWarning(category=category, area_pcode=area_pcode, detected_on=now.date(),
                             observed=observed, expected=expected, threshold=threshold,
                             forum_ids=forum_ids, created_at=now))
    session.flush()


def recent_warnings(session: Session, since: datetime, limit: int = 50) -> list[WarningRow]:
    rows = session.scalars(select(TrendWarning).where(TrendWarning.created_at >= since)
                           .order_by(TrendWarning.created_at.desc(), TrendWarning.id.desc()).limit(limit))
    return [WarningRow(w.category, w.area_pcode, w.observed, w.expected, tuple(w.forum_ids), w.created_at)
            for w in rows]


def digest_sent(session: Session, forum_id: str, week_start: date) -> bool:
    return session.scalar(select(TrendDigest.id).where(
        TrendDigest.forum_id == forum_id, TrendDigest.week_start == week_start)) is not None


def record_digest(session: Session, *, forum_id: str, week_start: date, messages: int, now: datetime) -> None:
    session.add(TrendDigest(forum_id=forum_id, week_start=week_start, messages=messages, created_at=now))
    session.flush()
