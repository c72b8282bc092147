"""ISO weeks and rolling windows.

Mali keeps UTC all year (no daylight saving), so a UTC week is a local week: Monday 00:00 to
the next Monday 00:00.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

WEEK = timedelta(days=7)


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_label(start: date) -> str:
    """ISO 8601 week in its basic form, e.g. 2026W45 (what HXL tools read as a #date)."""
    year, week, _ = start.isocalendar()
    return f"{year}W{week:02d}"


def week_number(start: date) -> int:
    return start.isocalendar()[1]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def completed_weeks(now: datetime, count: int) -> list[date]:
    """The Mondays of the `count` whole weeks before the current one, oldest first."""
    this_week = week_start(now.date())
    return [this_week - WEEK * back for back in range(count, 0, -1)]


def weeks_to_now(now: datetime, count: int) -> list[date]:
    """`count` weeks ending with the current (partial) week, oldest first."""
    return completed_weeks(now, count - 1) + [week_start(now.date())]


def week_edges(starts: list[date]) -> list[datetime]:
    """Bucket edges for consecutive weeks: n+1 instants for n weeks."""
    return [midnight(start) for start in starts] + [midnight(starts[-1] + WEEK)]


def rolling_edges(now: datetime, windows: int, length: timedelta = WEEK) -> list[datetime]:
    """Edges of `windows` back-to-back windows ending at `now`, oldest first."""
    return [now - length * back for back in range(windows, -1, -1)]
