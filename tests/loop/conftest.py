"""End-to-end: Twilio webhooks in, the real twilio client out to a local fake Twilio
(`fake_twilio`), and the `clock` fixture for deadlines. Rate limiting is off unless a
test turns it on."""
from __future__ import annotations

import pytest


@pytest.fixture
def config_env(config_env, fake_twilio):
    return dict(config_env, SMS_PROVIDER="twilio", TWILIO_API_BASE=fake_twilio.base_url)


@pytest.fixture
def config_overrides(config_overrides):
    return dict(config_overrides, rate_limit_segments_per_second=0)
