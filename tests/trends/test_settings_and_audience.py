"""Trend settings are validated data; who hears about a spike. Pure."""
from __future__ import annotations

import pytest

from gateway.errors import ConfigError
from workers.trends.audience import Audience, plan_warnings, recipients
from workers.trends.settings import parse_settings
from workers.trends.spikes import Spike

BAD_SETTINGS = [
    ("a warning could show 1 or 2", {"spikes": {"defaults": {"min_count": 2}}}, "min_count"),
    ("unknown category", {"spikes": {"categories": {"piracy": {}}}}, "piracy"),
    ("unknown key", {"spikes": {"categories": {"other": {"treshold": 2}}}}, "treshold"),
    ("baseline too short", {"spikes": {"defaults": {"baseline_weeks": 1}}}, "baseline_weeks"),
    ("min_days beyond a week", {"spikes": {"defaults": {"min_days": 8}}}, "min_days"),
    ("no such weekday", {"schedule": {"digest_weekday": "lundi"}}, "digest_weekday"),
]


@pytest.mark.parametrize("label, data, word", BAD_SETTINGS, ids=[b[0] for b in BAD_SETTINGS])
def test_bad_settings_are_refused_with_a_clear_reason(label, data, word):
    with pytest.raises(ConfigError, match=word):
        parse_settings(data)


def test_defaults_apply_to_every_category_and_overrides_to_one():
    settings = parse_settings({"spikes": {"defaults": {"z": 2.0}, "categories": {"other": {"enabled": False}}},
                               "schedule": {"digest_weekday": "Friday", "digest_hour_utc": 6}})
    assert settings.spikes["civil_unrest"].z == 2.0 and settings.spikes["civil_unrest"].enabled
    assert not settings.spikes["other"].enabled
    assert (settings.schedule.digest_weekday, settings.schedule.digest_hour_utc) == (4, 6)


def audience(forum_id, areas, categories=("violent_extremism",), kind="working_group"):
    return Audience(forum_id, kind, "fr", frozenset(categories), tuple(areas))


def spike(area, category="violent_extremism"):
    return Spike(category, area, 9, 1.0, 4.0)


AUDIENCES = [audience("mopti", ["ML05"]), audience("bandiagara-commune", ["ML050201"]),
             audience("national", []), audience("segou", ["ML04"]),
             audience("mopti-land", ["ML05"], categories=("resource_conflict",)),
             audience("triage", [], kind="triage")]


def test_forums_whose_areas_overlap_hear_and_the_cercle_wins_over_its_region():
    plan = plan_warnings([spike("ML0502"), spike("ML05")], AUDIENCES)
    assert plan == {"mopti": [spike("ML0502")],                # not the region as well
                    "bandiagara-commune": [spike("ML0502")],   # told of its cercle, not of the region too
                    "national": [spike("ML0502")]}


def test_a_region_spike_alone_reaches_the_region_and_the_forums_inside_it():
    plan = plan_warnings([spike("ML05")], AUDIENCES)
    assert set(plan) == {"mopti", "bandiagara-commune", "national"}


def test_the_backups_get_trend_messages_only_when_no_primary_is_left():
    class C:
        def __init__(self, backup):
            self.backup = backup
    primary, backup = C(False), C(True)
    assert recipients([primary, backup]) == [primary]
    assert recipients([backup]) == [backup]
