"""Configuration: embedded defaults on a fresh machine, refusals in production."""
from __future__ import annotations

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from tests.conftest import TEST_KEYS


def test_a_fresh_machine_gets_embedded_defaults(tmp_path):
    config = load_config({"GATEWAY_INSTANCE_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'gateway.sqlite'}"
    assert config.embedded and config.sms_provider == "console"
    assert len(config.pseudonym_key) == 32 and config.twilio_auth_token
    assert (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600


def test_development_keys_are_generated_once(tmp_path):
    first = load_config({"GATEWAY_INSTANCE_DIR": str(tmp_path)})
    second = load_config({"GATEWAY_INSTANCE_DIR": str(tmp_path)})
    assert first.pseudonym_key == second.pseudonym_key and first.number_key == second.number_key


PRODUCTION = dict(TEST_KEYS, GATEWAY_ENV="production", DATABASE_URL="postgresql://gw@db/gw",
                  REDIS_URL="redis://redis:6379/0", SMS_PROVIDER="twilio")


def test_production_starts_with_real_secrets(tmp_path):
    config = load_config(dict(PRODUCTION, GATEWAY_INSTANCE_DIR=str(tmp_path)))
    assert config.production and not (tmp_path / "keys.json").exists()


@pytest.mark.parametrize("missing, named", [
    ("SECRET_KEY", "SECRET_KEY"), ("PSEUDONYM_KEY", "PSEUDONYM_KEY"), ("NUMBER_KEY", "NUMBER_KEY"),
    ("DATABASE_URL", "DATABASE_URL"), ("REDIS_URL", "REDIS_URL"), ("SMS_PROVIDER", "SMS_PROVIDER"),
])
def test_production_refuses_to_start_without_real_secrets(tmp_path, missing, named):
    env = dict(PRODUCTION, GATEWAY_INSTANCE_DIR=str(tmp_path))
    del env[missing]
    with pytest.raises(ConfigError, match=named):
        load_config(env)


def test_production_refuses_plain_http_public_url(tmp_path):
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config(dict(PRODUCTION, PUBLIC_BASE_URL="http://gw.example.ml", GATEWAY_INSTANCE_DIR=str(tmp_path)))


def test_production_on_africas_talking_needs_its_credentials_and_webhook_token(tmp_path):
    env = dict(PRODUCTION, SMS_PROVIDER="africastalking", GATEWAY_INSTANCE_DIR=str(tmp_path),
               AT_USERNAME="gateway", AT_API_KEY="key")
    assert load_config(env).sms_provider == "africastalking"
    with pytest.raises(ConfigError, match="AT_API_KEY"):
        load_config({k: v for k, v in env.items() if k != "AT_WEBHOOK_TOKEN"})
