"""The shared send limits: a GCRA rate limit per provider and the loop guard, in Redis."""
from __future__ import annotations

import pytest
from redis import Redis

from gateway.config import load_config
from gateway.throttle import Throttle
from tests.conftest import TEST_KEYS

NOW = 1_800_000_000.0


def throttle(redis_connection, **env) -> Throttle:
    return Throttle(redis_connection, load_config(dict(TEST_KEYS, **env)))


def test_a_burst_of_one_second_then_the_rate(redis_connection, tmp_path):
    limiter = throttle(redis_connection, RATE_LIMIT_SEGMENTS_PER_SECOND="5", GATEWAY_INSTANCE_DIR=str(tmp_path))
    waits = [limiter.reserve("twilio", 1, now=NOW, max_wait=10).wait_seconds for _ in range(7)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert waits[5:] == pytest.approx([0.2, 0.4])


def test_segments_are_what_is_counted(redis_connection, tmp_path):
    limiter = throttle(redis_connection, RATE_LIMIT_SEGMENTS_PER_SECOND="2", GATEWAY_INSTANCE_DIR=str(tmp_path))
    assert limiter.reserve("twilio", 3, now=NOW, max_wait=10).wait_seconds == pytest.approx(0.5)
    assert limiter.reserve("twilio", 1, now=NOW, max_wait=10).wait_seconds == pytest.approx(1.0)


def test_the_budget_refills_with_time(redis_connection, tmp_path):
    limiter = throttle(redis_connection, RATE_LIMIT_SEGMENTS_PER_SECOND="1", GATEWAY_INSTANCE_DIR=str(tmp_path))
    assert limiter.reserve("twilio", 1, now=NOW, max_wait=10).wait_seconds == 0
    assert limiter.reserve("twilio", 1, now=NOW, max_wait=10).wait_seconds == pytest.approx(1.0)
    assert limiter.reserve("twilio", 1, now=NOW + 5, max_wait=10).wait_seconds == 0


def test_a_wait_beyond_the_limit_books_nothing(redis_connection, tmp_path):
    limiter = throttle(redis_connection, RATE_LIMIT_SEGMENTS_PER_SECOND="1", GATEWAY_INSTANCE_DIR=str(tmp_path))
    limiter.reserve("twilio", 1, now=NOW, max_wait=10)
    refused = limiter.reserve("twilio", 5, now=NOW, max_wait=2)
    assert not refused.booked and refused.wait_seconds == pytest.approx(5.0)
    assert limiter.reserve("twilio", 1, now=NOW, max_wait=2).wait_seconds == pytest.approx(1.0)


def test_each_provider_has_its_own_budget(redis_connection, tmp_path):
    limiter = throttle(redis_connection, RATE_LIMIT_SEGMENTS_PER_SECOND="1,console=0",
                       GATEWAY_INSTANCE_DIR=str(tmp_path))
    limiter.reserve("twilio", 1, now=NOW, max_wait=10)
    assert limiter.reserve("twilio", 1, now=NOW, max_wait=10).wait_seconds > 0
    assert limiter.reserve("africastalking", 1, now=NOW, max_wait=10).wait_seconds == 0
    assert all(limiter.reserve("console", 50, now=NOW, max_wait=0).booked for _ in range(10))   # 0: no limit


def test_the_loop_guard_refuses_the_identical_message_past_the_maximum(redis_connection, tmp_path):
    limiter = throttle(redis_connection, LOOP_GUARD_MAX="2", GATEWAY_INSTANCE_DIR=str(tmp_path))
    assert [limiter.loop_guard_allows("p1", "same") for _ in range(3)] == [True, True, False]
    assert limiter.loop_guard_allows("p1", "different") and limiter.loop_guard_allows("p2", "same")
    assert 0 < redis_connection.ttl(next(iter(redis_connection.scan_iter("gateway:loop:*")))) <= 600


def test_redis_down_fails_open(tmp_path):
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = throttle(unreachable, RATE_LIMIT_SEGMENTS_PER_SECOND="1", GATEWAY_INSTANCE_DIR=str(tmp_path))
    assert limiter.reserve("twilio", 10, now=NOW, max_wait=0).booked
    assert limiter.loop_guard_allows("p1", "same")
