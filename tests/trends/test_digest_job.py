"""Weekly digests from the database: one per working group and week, on the bulk queue."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from gateway.gsm7 import segment_count
from workers.trends.run import digest_due, send_digests
from workers.trends.settings import Schedule
from tests.trends.conftest import outbound

# The clock stands at Monday 2026-11-02 09:00 UTC: the last whole week is 26/10-01/11 (W44).
LAST_WEEK = datetime(2026, 10, 27, 10, tzinfo=timezone.utc)
WEEK_BEFORE = LAST_WEEK - timedelta(days=7)


def test_each_working_group_gets_its_digest_once_a_week(runtime, forums, add_reports, clock):
    add_reports("violent_extremism", "ML050201", LAST_WEEK, 6)          # Bandiagara, Mopti region
    add_reports("violent_extremism", "ML0503", WEEK_BEFORE, 4)
    add_reports("gender_based_violence", "ML0501", LAST_WEEK, 2)
    add_reports("intercommunal_conflict", "ML0501", WEEK_BEFORE, 1, status="closed")
    result = send_digests(runtime)
    assert (result.week_start, result.sent) == (date(2026, 10, 26), 3)   # Ségou, Mopti, Timbuktu groups
    digests = {m.coordinator_id: m.body for m in outbound(runtime, "digest")}
    assert len(digests) == 3                                              # primaries only; forums get none
    mopti = next(body for body in digests.values() if "region de Mopti" in body)
    assert mopti == ("Bilan hebdo S44 (26/10-01/11), region de Mopti:\n"
                     "Extremisme violent: 6 (+2)\n"
                     "Violence basee sur le genre: <3 (S43: 0)\n"
                     "Conflit intercommunautaire: 0 (S43: <3)\n"
                     "Plus touches: Bandiagara\n"
                     "Non clos: 12")
    assert all(segment_count(body) <= 2 for body in digests.values())
    assert runtime.queues.by_name["bulk"].count == 3 and runtime.queues.by_name["sends"].count == 0
    again = send_digests(runtime)
    assert (again.sent, again.already_sent, again.messages) == (0, 3, 0)


def test_the_digest_speaks_the_groups_language(runtime, forums):
    send_digests(runtime)
    bodies = [m.body for m in outbound(runtime, "digest")]
    assert any(b.startswith("Dògòkun kunnafoni D44") for b in bodies)      # Ségou: bm
    assert any(b.startswith("Weekly summary W44") for b in bodies)         # Timbuktu: en


@pytest.mark.parametrize("now, due", [
    (datetime(2026, 11, 2, 6, 59, tzinfo=timezone.utc), False),   # Monday before 07:00
    (datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc), True),
    (datetime(2026, 11, 5, 12, tzinfo=timezone.utc), True),       # later in the week: still due (sent once)
    (datetime(2026, 11, 8, 23, tzinfo=timezone.utc), True),
])
def test_digests_are_due_from_monday_7am(now, due):
    assert digest_due(now, Schedule(digest_weekday=0, digest_hour_utc=7)) is due
