"""Who is looking, and what that role may see and do.

Roles: admin (reads and changes everything, may reveal a reporter's number), auditor (reads
everything, including the audit log; changes nothing), coordinator (reads only the reports
of their own forums, and the messages of those reports). The store applies `Viewer` to its
queries, so a coordinator's limits hold for every page, export and API call alike.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "auditor", "coordinator")


@dataclass(frozen=True)
class Viewer:
    staff_id: int
    email: str
    role: str
    forum_ids: frozenset[str] = frozenset()

    @property
    def sees_all_reports(self) -> bool:
        return self.role in ("admin", "auditor")

    @property
    def can_edit(self) -> bool:
        return self.role == "admin"

    @property
    def can_read_audit(self) -> bool:
        return self.role in ("admin", "auditor")

    @property
    def can_reveal(self) -> bool:
        return self.role == "admin"
