"""Reliability settings read from the environment (config.py is the only reader)."""
from __future__ import annotations

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError

RATES = [
    # label, value, expected (count, seconds)
    ("default", None, (10, 600)),
    ("count per window", "5/60", (5, 60)),
    ("off", "0", (0, 1)),
    ("spaces", " 3/30 ", (3, 30)),
]


@pytest.mark.parametrize("label, value, expected", RATES, ids=[case[0] for case in RATES])
def test_rate_limits_read_count_per_seconds(config_env, label, value, expected):
    env = dict(config_env, **({"RATE_LIMIT_PER_NUMBER": value} if value is not None else {}))
    assert load_config(env).rate_limit_per_number == expected


@pytest.mark.parametrize("name, value", [("RATE_LIMIT_PER_NUMBER", "ten"), ("RATE_LIMIT_PER_NUMBER", "5/0"),
                                         ("RATE_LIMIT_AUTH_FAILURES_PER_IP", "5/"), ("SEND_STUCK_SECONDS", "-1"),
                                         ("SWEEP_INTERVAL_SECONDS", "1m")])
def test_unreadable_settings_stop_startup_with_the_name(config_env, name, value):
    with pytest.raises(ConfigError, match=name):
        load_config(dict(config_env, **{name: value}))


def test_spool_dir_defaults_under_the_instance_dir_and_can_be_moved(config_env, tmp_path):
    assert load_config(config_env).spool_path == load_config(config_env).instance_dir / "spool"
    assert load_config(dict(config_env, SPOOL_DIR=str(tmp_path / "s"))).spool_path == tmp_path / "s"
