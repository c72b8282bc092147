"""Settings for sending, corroboration and follow-ups (README configuration table)."""
from __future__ import annotations

import pytest

from gateway.config import DEFAULT_FOLLOW_UP_CATEGORIES, load_config
from gateway.errors import ConfigError


def config(tmp_path, **env):
    return load_config(dict(env, GATEWAY_INSTANCE_DIR=str(tmp_path)))


def test_defaults(tmp_path):
    c = config(tmp_path)
    assert (c.rate_limit_for("twilio"), c.loop_guard_max, c.loop_guard_minutes, c.corroboration_window_hours) \
        == (5.0, 3, 10, 24)
    assert c.follow_up_categories == DEFAULT_FOLLOW_UP_CATEGORIES
    assert not {"gender_based_violence", "violent_extremism"} & c.follow_up_categories


RATES = [("8", {"twilio": 8.0, "africastalking": 8.0}),
         ("2.5,twilio=10", {"twilio": 10.0, "africastalking": 2.5}),
         ("africastalking=1", {"twilio": 5.0, "africastalking": 1.0}),
         ("0", {"twilio": 0.0})]


@pytest.mark.parametrize("value, expected", RATES)
def test_rate_limits_per_provider(tmp_path, value, expected):
    c = config(tmp_path, RATE_LIMIT_SEGMENTS_PER_SECOND=value)
    assert {name: c.rate_limit_for(name) for name in expected} == expected


FOLLOW_UPS = [("none", frozenset()), ("all", None), ("resource_conflict, civil_unrest",
                                                      frozenset({"resource_conflict", "civil_unrest"}))]


@pytest.mark.parametrize("value, expected", FOLLOW_UPS)
def test_follow_up_categories(tmp_path, value, expected):
    c = config(tmp_path, FOLLOW_UP_CATEGORIES=value)
    assert c.follow_up_categories == (expected if expected is not None else DEFAULT_FOLLOW_UP_CATEGORIES
                                      | {"gender_based_violence", "violent_extremism"})


BAD = [("RATE_LIMIT_SEGMENTS_PER_SECOND", "fast"), ("RATE_LIMIT_SEGMENTS_PER_SECOND", "-1"),
       ("LOOP_GUARD_MAX", "0"), ("LOOP_GUARD_MINUTES", "ten"), ("CORROBORATION_WINDOW_HOURS", "-3"),
       ("FOLLOW_UP_CATEGORIES", "resource_conflict,weather")]


@pytest.mark.parametrize("name, value", BAD)
def test_bad_values_are_refused_with_their_name(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        config(tmp_path, **{name: value})
