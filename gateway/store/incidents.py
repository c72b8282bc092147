"""Corroboration: reports of one category in one commune (else cercle) within a window
are one incident. The window is anchored on the incident's first report, so a chatty
area still gets a fresh alert for a new incident once the window has passed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from gateway.store.models import Incident, Report


@dataclass(frozen=True)
class IncidentLink:
    incident_id: int
    report_count: int
    first_reference: str
    is_new: bool


def attach_to_incident(session: Session, report: Report, window: timedelta) -> IncidentLink | None:
    """Join the report to its incident, or open one; None when it has no category or area."""
    area = report.commune_pcode or report.cercle_pcode
    if not area or not report.category:
        return None
    _serialise(session, f"{report.category}:{area}")
    when = report.created_at
    incident = session.scalar(select(Incident).where(
        Incident.category == report.category, Incident.area_pcode == area,
        Incident.first_at >= when - window, Incident.first_at <= when + window)
        .order_by(Incident.first_at.desc()).limit(1))
    if incident is None:
        incident = Incident(category=report.category, area_pcode=area, first_reference=report.reference,
                            report_count=0, first_at=when, last_at=when)
        session.add(incident)
        session.flush()
    incident.report_count += 1
    incident.last_at = max(incident.last_at, when)
    report.incident_id = incident.id
    return IncidentLink(incident.id, incident.report_count, incident.first_reference,
                        is_new=incident.report_count == 1)


def _serialise(session: Session, key: str) -> None:
    """Two workers processing reports of one incident at once must not open two incidents.

    PostgreSQL: a transaction-scoped advisory lock on the key. SQLite has one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
