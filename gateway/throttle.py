"""Shared send limits, kept in Redis so that every worker process counts against one budget.

- Rate limit: segments per second per provider, a GCRA token bucket (a burst of one
  second's worth, at least one segment). reserve() books the segments and says how long to wait before sending, so
  concurrent senders queue up fairly instead of retrying in a storm.
- Loop guard: at most N identical messages to one number in M minutes, so that an
  auto-responder answering our replies cannot start an endless exchange.

Redis is a helper here, not a gate: if it errors, sending goes on (fail open) — an alert
delayed by a Redis outage would be worse than a burst the provider slows down itself.
Keys never hold a clear number: the caller passes the reporter pseudonym of the number.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from gateway.config import Config

log = logging.getLogger(__name__)
BURST_SECONDS = 1.0

# KEYS[1] = bucket; ARGV = now (s), seconds per segment, burst tolerance (s), segments, max wait (s).
# Returns {booked (0|1), wait (s, as a string: Lua numbers become integers in replies)}.
_RESERVE = """
local now, per_segment, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, max_wait = tonumber(ARGV[4]), tonumber(ARGV[5])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local new_tat = tat + cost * per_segment
local wait = new_tat - burst - now
if wait < 0 then wait = 0 end
if wait > max_wait then return {0, tostring(wait)} end
redis.call('SET', KEYS[1], tostring(new_tat), 'EX', math.ceil(new_tat - now + burst) + 1)
return {1, tostring(wait)}
"""
# KEYS[1] = counter; ARGV[1] = window (s). Returns the count including this message.
_COUNT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class Reservation:
    booked: bool          # False: the wait was longer than the caller accepts; nothing booked
    wait_seconds: float


class Throttle:
    def __init__(self, redis: Redis, config: Config):
        self._config = config
        self._reserve = redis.register_script(_RESERVE)
        self._count = redis.register_script(_COUNT)

    def reserve(self, provider: str, segments: int, *, now: float, max_wait: float) -> Reservation:
        """Book `segments` on the provider's budget; `now` is wall-clock seconds."""
        rate = self._config.rate_limit_for(provider)
        if rate <= 0:
            return Reservation(True, 0.0)
        try:
            tolerance = max(1.0, rate * BURST_SECONDS) / rate
            booked, wait = self._reserve(keys=[f"gateway:rate:{provider}"],
                                         args=[repr(now), repr(1.0 / rate), repr(tolerance),
                                               max(1, segments), repr(max_wait)])
        except RedisError as exc:
            log.warning("rate limiter unavailable; sending anyway", extra={"error": type(exc).__name__})
            return Reservation(True, 0.0)
        return Reservation(bool(booked), float(wait))

    def loop_guard_allows(self, recipient_key: str, body: str) -> bool:
        """Count this message; False once it is beyond LOOP_GUARD_MAX within LOOP_GUARD_MINUTES."""
        digest = hashlib.sha256(f"{recipient_key}\n{body}".encode()).hexdigest()[:32]
        try:
            count = self._count(keys=[f"gateway:loop:{digest}"], args=[self._config.loop_guard_minutes * 60])
        except RedisError as exc:
            log.warning("loop guard unavailable; sending anyway", extra={"error": type(exc).__name__})
            return True
        return int(count) <= self._config.loop_guard_max


def loop_guard_reason(config: Config) -> str:
    return (f"loop guard: more than {config.loop_guard_max} identical messages "
            f"to this number in {config.loop_guard_minutes} min")
