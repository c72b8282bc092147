"""Corroboration: reports of one category in one commune (else cercle) within a window
are one incident. The window is anchored on the incident's first report, so a chatty
area still gets a fresh alert for a new incident once the window has passed.

A worker links a whole batch of reports at once (Corroboration): the incidents they may
join are read in one query, linked in memory in report id order (a later report of the
batch sees the incident an earlier one opened), and written back in one INSERT and one
executemany.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from gateway.store.models import Incident, Report


@dataclass(eq=False)
class BatchIncident:
    """An incident as a batch sees it; id is None until save() for one the batch opened."""
    id: int | None
    category: str
    area_pcode: str
    first_reference: str
    first_at: datetime
    last_at: datetime
    report_count: int
    opened_here: bool = False  # by this batch: no report of it was alerted before
    changed: bool = False


@dataclass(frozen=True)
class IncidentLink:
    incident: BatchIncident
    report_count: int          # the incident's count with this report
    first_reference: str
    is_new: bool


def incident_key(report: Report) -> tuple[str, str] | None:
    area = report.commune_pcode or report.cercle_pcode
    return (report.category, area) if area and report.category else None


@dataclass
class Corroboration:
    """Links the reports of one transaction to incidents; use load(), attach() each in id order, save()."""
    session: Session
    window: timedelta
    _by_key: dict[tuple[str, str], list[BatchIncident]] = field(default_factory=lambda: defaultdict(list))
    _members: list[tuple[Report, BatchIncident]] = field(default_factory=list)

    def load(self, reports: list[Report]) -> None:
        """Lock the incident keys of these reports and read the incidents they may join."""
        keys = sorted({key for key in map(incident_key, reports) if key})
        if not keys:
            return
        _serialise(self.session, [f"{category}:{area}" for category, area in keys])
        whens = [report.created_at for report in reports]
        table = Incident.__table__
        rows = self.session.execute(select(table).where(
            table.c.category.in_({category for category, _ in keys}),
            table.c.area_pcode.in_({area for _, area in keys}),
            table.c.first_at >= min(whens) - self.window, table.c.first_at <= max(whens) + self.window))
        wanted = set(keys)
        for row in rows:
            if (row.category, row.area_pcode) in wanted:
                self._by_key[(row.category, row.area_pcode)].append(BatchIncident(
                    row.id, row.category, row.area_pcode, row.first_reference, row.first_at, row.last_at,
                    row.report_count))

    def attach(self, report: Report) -> IncidentLink | None:
        """Join the report to its incident, or open one; None when it has no category or area.

        The incident is the latest one whose first report is within the window of this one.
        """
        key = incident_key(report)
        if key is None:
            return None
        when = report.created_at
        candidates = [i for i in self._by_key[key] if when - self.window <= i.first_at <= when + self.window]
        if candidates:
            incident = max(candidates, key=lambda i: i.first_at)
        else:
            incident = BatchIncident(None, key[0], key[1], report.reference, when, when, 0, opened_here=True)
            self._by_key[key].append(incident)
        incident.report_count += 1
        incident.last_at = max(incident.last_at, when)
        incident.changed = True
        self._members.append((report, incident))
        return IncidentLink(incident, incident.report_count, incident.first_reference,
                            is_new=incident.report_count == 1)

    def save(self) -> None:
        """Insert the incidents opened, update the others, and set each report's incident_id."""
        incidents = [i for known in self._by_key.values() for i in known if i.changed]
        opened = [i for i in incidents if i.opened_here]
        if opened:
            ids = self.session.scalars(insert(Incident).returning(Incident.id, sort_by_parameter_order=True), [
                dict(category=i.category, area_pcode=i.area_pcode, first_reference=i.first_reference,
                     report_count=i.report_count, first_at=i.first_at, last_at=i.last_at) for i in opened]).all()
            for incident, incident_id in zip(opened, ids):
                incident.id = incident_id
        grown = sorted((i for i in incidents if i not in opened), key=lambda i: i.id)
        if grown:
            self.session.execute(_GROW, [dict(incident_id=i.id, new_count=i.report_count, new_last_at=i.last_at)
                                         for i in grown])
        for report, incident in self._members:
            report.incident_id = incident.id


_GROW = (update(Incident.__table__).where(Incident.__table__.c.id == bindparam("incident_id"))
         .values(report_count=bindparam("new_count"), last_at=bindparam("new_last_at")))


def _serialise(session: Session, keys: list[str]) -> None:
    """Two workers processing reports of one incident at once must not open two incidents.

    PostgreSQL: a transaction-scoped advisory lock per key, all in one statement, taken in
    sorted order (the array's: a function scan evaluates row by row) so that two batches
    wanting the same keys cannot deadlock. SQLite has one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(key)) FROM unnest(CAST(:keys AS text[])) AS key"),
                        {"keys": keys})
