"""Provider choice and failover: SMS_PROVIDERS, the failover chain, the Redis circuit breaker."""
from __future__ import annotations

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.failover import Breaker
from gateway.providers import failover_chain, sending_provider
from gateway.runtime import redis_from_url


def config(tmp_path, **env):
    return load_config(dict(env, GATEWAY_INSTANCE_DIR=str(tmp_path)))


CHOICES = [
    # label, environment, (sms_provider, failover order)
    ("nothing set: console", {}, ("console", ("console",))),
    ("SMS_PROVIDER alone, as before", {"SMS_PROVIDER": "twilio"}, ("twilio", ("twilio",))),
    ("a failover list", {"SMS_PROVIDERS": "orange, twilio"}, ("orange", ("orange", "twilio"))),
    ("both, agreeing", {"SMS_PROVIDER": "orange", "SMS_PROVIDERS": "orange,twilio"}, ("orange", ("orange", "twilio"))),
    ("a name listed twice counts once", {"SMS_PROVIDERS": "orange,twilio,orange"}, ("orange", ("orange", "twilio"))),
]


@pytest.mark.parametrize("label, env, expected", CHOICES, ids=[c[0] for c in CHOICES])
def test_the_deployment_s_providers(tmp_path, label, env, expected):
    c = config(tmp_path, **env)
    assert (c.sms_provider, c.failover_order) == expected


@pytest.mark.parametrize("env, words", [
    ({"SMS_PROVIDER": "twilio", "SMS_PROVIDERS": "orange,twilio"}, "SMS_PROVIDER=twilio but SMS_PROVIDERS"),
    ({"SMS_PROVIDERS": "orange,console"}, "cannot be part of a failover list"),
    ({"FAILOVER_AFTER_FAILURES": "three"}, "COUNT/SECONDS"),
    ({"FAILOVER_COOLDOWN_SECONDS": "0"}, "at least 1"),
])
def test_settings_that_cannot_work_are_refused_with_a_reason(tmp_path, env, words):
    with pytest.raises(ConfigError, match=words):
        config(tmp_path, **env)


def test_failover_settings(tmp_path):
    c = config(tmp_path, FAILOVER_AFTER_FAILURES="5/60", FAILOVER_COOLDOWN_SECONDS="900")
    assert (c.failover_after_failures, c.failover_cooldown_seconds) == ((5, 60), 900)
    assert config(tmp_path).failover_after_failures == (3, 120)


def test_production_with_orange_needs_its_credentials_and_callback_token(tmp_path):
    env = {"GATEWAY_ENV": "production", "SMS_PROVIDERS": "orange,twilio"}
    with pytest.raises(ConfigError, match="ORANGE_CLIENT_ID"):
        config(tmp_path, **env)


CHAINS = [
    # label, preferred (queued for), deployment order, providers tried in order
    ("the deployment's list", "orange", ("orange", "twilio"), ("orange", "twilio")),
    ("a reply goes back the way it came, then the list", "twilio", ("orange", "twilio"), ("twilio", "orange")),
    ("a forum's provider outside the list comes first", "africastalking", ("orange", "twilio"),
     ("africastalking", "orange", "twilio")),
    ("console never reaches a real provider", "twilio", ("console",), ("console",)),
    ("one provider: nothing to fail over to", "twilio", ("twilio",), ("twilio",)),
]


@pytest.mark.parametrize("label, preferred, order, expected", CHAINS, ids=[c[0] for c in CHAINS])
def test_failover_chain(label, preferred, order, expected):
    assert failover_chain(preferred, order) == expected


@pytest.mark.parametrize("forum_provider, configured, expected", [
    (None, "orange", "orange"), ("twilio", "orange", "twilio"), ("twilio", "console", "console")])
def test_a_forum_s_own_provider_is_used_except_in_a_console_deployment(forum_provider, configured, expected):
    assert sending_provider(forum_provider, configured) == expected


# --- the circuit breaker --------------------------------------------------------------------

CHAIN = ("orange", "twilio")


@pytest.fixture
def breaker(runtime):
    return Breaker(runtime.redis, runtime.config.with_overrides(failover_after_failures=(3, 120),
                                                                failover_cooldown_seconds=300))


def test_failures_below_the_threshold_keep_the_first_provider(breaker):
    assert [breaker.failed("orange", 0), breaker.failed("orange", 1)] == [False, False]
    assert breaker.choose(CHAIN, 2).provider == "orange"


def test_a_success_clears_the_count(breaker):
    breaker.failed("orange", 0), breaker.failed("orange", 1)
    breaker.succeeded("orange")
    assert breaker.failed("orange", 2) is False


def test_the_threshold_opens_the_circuit_for_the_cool_down(breaker):
    assert [breaker.failed("orange", t) for t in (0, 1, 2)] == [False, False, True]
    assert breaker.choose(CHAIN, 3).provider == "twilio"
    assert breaker.choose(CHAIN, 301).provider == "twilio"


def test_after_the_cool_down_one_message_probes_and_the_others_keep_failing_over(breaker):
    for t in (0, 1, 2):
        breaker.failed("orange", t)
    assert [breaker.choose(CHAIN, 303).provider for _ in range(3)] == ["orange", "twilio", "twilio"]


def test_a_successful_probe_closes_the_circuit(breaker):
    for t in (0, 1, 2):
        breaker.failed("orange", t)
    breaker.choose(CHAIN, 303)
    breaker.succeeded("orange")
    assert [breaker.choose(CHAIN, 304).provider for _ in range(2)] == ["orange", "orange"]


def test_a_failed_probe_opens_it_for_another_cool_down(breaker, runtime):
    for t in (0, 1, 2):
        breaker.failed("orange", t)
    runtime.redis.delete("gateway:circuit:orange:failures")      # the failure window ended meanwhile
    breaker.choose(CHAIN, 303)
    assert breaker.failed("orange", 303) is True
    assert breaker.choose(CHAIN, 600).provider == "twilio"
    assert breaker.choose(CHAIN, 604).provider == "orange"


def test_when_every_provider_rests_the_message_waits_for_the_first_to_come_back(breaker):
    for t in (0, 1, 2):
        breaker.failed("orange", t)
    for t in (100, 101, 102):
        breaker.failed("twilio", t)
    choice = breaker.choose(CHAIN, 200)
    assert (choice.provider, choice.wait_seconds) == (None, 102.0)


def test_redis_down_means_every_provider_is_available(runtime):
    down = redis_from_url("redis://127.0.0.1:1/0")      # as the runtime connects: short timeouts, one retry
    breaker = Breaker(down, runtime.config)
    assert breaker.failed("orange", 0) is False
    assert breaker.choose(CHAIN, 0).provider == "orange"
    breaker.succeeded("orange")


def test_one_provider_or_a_zero_threshold_never_asks_redis(runtime):
    down = redis_from_url("redis://127.0.0.1:1/0")      # as the runtime connects: short timeouts, one retry
    assert Breaker(down, runtime.config).choose(("twilio",), 0).provider == "twilio"
    off = Breaker(down, runtime.config.with_overrides(failover_after_failures=(0, 1)))
    assert off.choose(CHAIN, 0).provider == "orange" and off.failed("orange", 0) is False
