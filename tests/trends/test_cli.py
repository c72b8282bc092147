"""`gateway trends check` and `gateway trends digest`, run in-process as the CLI runs them."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

import gateway.runtime
from workers.cli import trends


@pytest.fixture
def cli(config_env, monkeypatch):
    for key, value in config_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(gateway.runtime, "_current", gateway.runtime._current)   # the CLI installs its own

    def run(*args):
        return CliRunner().invoke(trends, list(args), catch_exceptions=False)
    return run


def test_digest_for_a_given_week_is_sent_once(runtime, forums, cli):
    first = cli("digest", "--week", "2026-W44")
    assert first.exit_code == 0
    assert first.output.strip() == "week of 2026-10-26: 3 digests sent, 0 already sent, 3 messages queued"
    assert "3 already sent" in cli("digest", "--week", "2026-W44").output


def test_a_malformed_week_is_refused_clearly(cli):
    result = cli("digest", "--week", "week 44")
    assert result.exit_code == 2 and "expected an ISO week such as 2026-W45" in result.output


def test_check_reports_what_it_found(runtime, forums, cli):
    result = cli("check")
    assert result.exit_code == 0
    assert result.output.strip() == "0 spikes (0 already warned in the last 7 days); 0 forums warned, 0 messages queued"
