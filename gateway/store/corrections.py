"""Triage: a staff correction of a report's category or place, kept as a row of its own.

The row keeps the text as it was corrected and the old and new values, so corrections can
later train the classifier and an auditor can see who changed what.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.store.models import Report, ReportCorrection


@dataclass(frozen=True)
class Correction:
    category: str
    region_pcode: str | None
    cercle_pcode: str | None
    note: str = ""


def correct_report(session: Session, report: Report, change: Correction, *, staff_id: int,
                   now: datetime) -> ReportCorrection | None:
    """Apply the change and record it; None when nothing would change."""
    old = (report.category, report.region_pcode, report.cercle_pcode)
    new = (change.category, change.region_pcode, change.cercle_pcode)
    if old == new:
        return None
    row = ReportCorrection(report_id=report.id, staff_id=staff_id, at=now, text=report.text,
                           old_category=old[0], new_category=new[0], old_region_pcode=old[1],
                           new_region_pcode=new[1], old_cercle_pcode=old[2], new_cercle_pcode=new[2],
                           note=change.note[:500] or None)
    session.add(row)
    report.category, report.region_pcode, report.cercle_pcode = new
    if old[2] != new[2]:
        report.commune_pcode = None      # a commune recognised under the old cercle no longer holds
    report.updated_at = now
    session.flush()
    return row
