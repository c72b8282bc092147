"""The spike check against the database: who is warned, once, and what stays out of it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.runtime import install
from gateway.store.models import Coordinator, TrendWarning
from workers import jobs
from workers.trends.run import check_trends
from tests.trends.conftest import outbound

QUIET = [0, 1, 0, 0, 1, 0, 0, 1, 0]           # previous weeks (current first, set separately)
BANDIAGARA, MOPTI_REGION = "ML0502", "ML05"
MOPTI_PRIMARY = "+22376000031"


def spike_in_bandiagara(add_history, now_count=8):
    add_history("violent_extremism", BANDIAGARA, [now_count] + QUIET[1:])


def phones(runtime, messages) -> list[str]:
    with runtime.transaction() as session:
        return [session.get(Coordinator, m.coordinator_id).phone for m in messages]


def test_a_spike_warns_the_working_group_of_that_area_once(runtime, forums, add_history):
    spike_in_bandiagara(add_history)
    result = check_trends(runtime)
    warnings = outbound(runtime, "warning")
    assert phones(runtime, warnings) == [MOPTI_PRIMARY]            # the primary coordinator only
    assert "cercle de Bandiagara" in warnings[0].body and "8 personnes" in warnings[0].body
    assert "texte secret" not in warnings[0].body
    assert result.spikes == 2 and result.messages == 1             # cercle and region rose; told once
    assert runtime.queues.by_name["sends"].count == 1 and runtime.queues.by_name["bulk"].count == 0


def test_the_same_area_and_category_is_not_warned_again_within_7_days(runtime, forums, add_history, add_reports, clock):
    spike_in_bandiagara(add_history)
    check_trends(runtime)
    again = check_trends(runtime)                                  # a re-run: nothing twice
    assert again.messages == 0 and again.suppressed == again.spikes == 2
    clock.advance(days=3)
    add_reports("violent_extremism", BANDIAGARA, clock(), 6)
    assert check_trends(runtime).messages == 0                     # still rising, still suppressed
    clock.advance(days=5)                                          # 8 days after the warning
    for day in range(3):
        add_reports("violent_extremism", BANDIAGARA, clock() - timedelta(days=day, hours=1), 5)
    assert check_trends(runtime).messages == 1
    assert len(outbound(runtime, "warning")) == 2


def test_noise_and_one_off_bursts_warn_nobody(runtime, forums, add_history, add_reports, clock):
    add_history("violent_extremism", "ML0405", [12, 4, 10, 5, 11, 4, 9, 6, 10], days=6)   # seasonal swing
    add_reports("intercommunal_conflict", "ML0407", clock().replace(hour=2), 15)          # one day, one incident
    add_reports("gender_based_violence", "ML0402", clock().replace(hour=3), 9, same_reporter=True)  # one person
    result = check_trends(runtime)
    assert result.spikes == 0 and outbound(runtime, "warning") == []


def test_a_spike_nobody_subscribes_to_is_recorded_for_staff_but_sends_nothing(runtime, forums, add_history):
    add_history("civil_unrest", "ML0801", [9, 0, 0, 0, 0, 0, 0, 0, 0])     # Kidal: no forum for this
    result = check_trends(runtime)
    assert result.messages == 0
    with runtime.transaction() as session:
        rows = session.scalars(select(TrendWarning).order_by(TrendWarning.area_pcode)).all()
        assert [(w.area_pcode, w.forum_ids, w.observed) for w in rows] == [("ML08", [], 9), ("ML0801", [], 9)]


def test_the_periodic_job_checks_at_most_once_per_interval(runtime, forums, add_history, run_jobs):
    install(runtime)                                               # what RQ jobs find, as in a worker
    spike_in_bandiagara(add_history)
    runtime.queues.enqueue_trends_tick(runtime.now())
    run_jobs()
    assert len(outbound(runtime, "warning")) == 1
    assert jobs.trends_tick(0) == "not due"


def test_the_embedded_workers_periodic_tick_queues_the_trends_job(runtime):
    from gateway.embedded import EmbeddedWorker

    worker = EmbeddedWorker(runtime, sweep=lambda: worker.stop())   # one pass of the loop, in this thread
    worker.run()
    assert runtime.queues.by_name["reports"].job_ids == ["trends-tick"]
