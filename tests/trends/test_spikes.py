"""Spike detection on synthetic histories with known spikes and known non-spikes. Pure."""
from __future__ import annotations

import pytest

from gateway.trends.cells import Cell
from workers.trends.settings import SpikeSettings, load_settings
from workers.trends.spikes import History, assess, baseline, detect, histories

DEFAULT = SpikeSettings()     # 8 weeks, z 3, at least 5 reporters on 2 days

CASES = [
    # label, baseline (8 previous weeks, oldest first), last 7 days, active days, spike?
    ("quiet area wakes up: 0-1 a week, then 7 people over 4 days", (0, 1, 0, 0, 1, 0, 0, 1), 7, 4, True),
    ("busy area triples: ~10 a week, then 30", (9, 11, 10, 12, 8, 10, 11, 9), 30, 7, True),
    ("a burst 5 weeks ago does not blind the area", (0, 0, 15, 0, 1, 0, 0, 0), 6, 3, True),
    ("seasonal noise: weeks swing 4-11, this week 12", (4, 10, 5, 11, 4, 9, 6, 10), 12, 6, False),
    ("seasonal rise: a steady climb 5..12, this week 14", (5, 6, 7, 8, 9, 10, 11, 12), 14, 7, False),
    ("one-off burst: 12 people on a single day (one incident, alerted already)", (1, 0, 1, 0, 0, 1, 0, 1), 12, 1, False),
    ("below the minimum count: 0 a week, then 4", (0, 0, 0, 0, 0, 0, 0, 0), 4, 4, False),
    ("at the minimum count, from nothing: 5 over 2 days", (0, 0, 0, 0, 0, 0, 0, 0), 5, 2, True),
    ("usual level, high count: 20 a week, then 22", (19, 21, 20, 22, 18, 20, 21, 19), 22, 7, False),
    ("a new area with no history and a real rise", (), 8, 3, True),
]


@pytest.mark.parametrize("label, past, current, days, expected", CASES, ids=[c[0] for c in CASES])
def test_known_spikes_and_non_spikes(label, past, current, days, expected):
    spike = assess("violent_extremism", "ML0502", History(current, past, days), DEFAULT)
    assert (spike is not None) == expected


def test_a_spike_carries_its_numbers():
    spike = assess("violent_extremism", "ML0502", History(7, (0, 1, 0, 0, 1, 0, 0, 1), 4), DEFAULT)
    assert (spike.category, spike.area, spike.observed) == ("violent_extremism", "ML0502", 7)
    assert spike.expected == pytest.approx(2 / 7, abs=0.01)      # the highest week left out
    assert spike.threshold == pytest.approx(2 / 7 + 3, abs=0.01)  # spread floor 1


def test_baseline_is_robust_to_one_burst_and_floors_the_spread():
    assert baseline([0] * 8) == pytest.approx(baseline([0] * 7 + [40]))
    assert baseline([0] * 8).spread == 1.0
    assert baseline([16] * 8).spread == pytest.approx(4.0)        # Poisson: sqrt(16)


def test_a_disabled_category_never_spikes():
    assert assess("other", "ML01", History(50, (0,) * 8, 7), SpikeSettings(enabled=False)) is None


def test_settings_per_category_come_from_the_data_file():
    settings = load_settings().spikes
    history = History(3, (0,) * 8, 3)   # 3 people on 3 days, from nothing
    assert detect({("gender_based_violence", "ML04"): history}, settings)      # min 3 for GBV
    assert not detect({("resource_conflict", "ML04"): history}, settings)       # min 5 elsewhere
    assert not detect({("other", "ML04"): History(30, (0,) * 8, 7)}, settings)  # disabled


def cell(bucket, reporters, pcode="ML050201", category="violent_extremism"):
    return Cell(bucket, category, pcode[:4], pcode[:6] if len(pcode) >= 6 else None,
                pcode if len(pcode) >= 8 else None, reporters, reporters)


def test_histories_count_each_area_at_region_and_cercle_level():
    windows = [cell(0, 1), cell(2, 3), cell(2, 2, pcode="ML0503"), cell(2, 4, pcode="ML05")]
    days = [cell(3, 1), cell(5, 2), cell(5, 1, pcode="ML0503")]
    result = histories(windows, days, windows=3)
    assert result[("violent_extremism", "ML0502")] == History(3, (1, 0), 2)
    assert result[("violent_extremism", "ML0503")] == History(2, (0, 0), 1)
    assert result[("violent_extremism", "ML05")] == History(9, (1, 0), 2)     # region: all of it
