"""Provider failover: a circuit breaker per provider, shared by every worker through Redis.

- Closed: the provider is used. Each retryable failure (connection refused, 5xx, 429) is
  counted; a send that goes through clears the count.
- Open: FAILOVER_AFTER_FAILURES (default 3 within 120 s) have been counted. For
  FAILOVER_COOLDOWN_SECONDS (default 300) messages go through the next provider of
  SMS_PROVIDERS instead.
- Half-open: the cool-down is over. One message (whichever worker gets the probe key first)
  tries the provider again: success closes the circuit, failure opens it for another cool-down.
  The probe key expires, so a worker that dies mid-probe does not keep the provider shut.

Time is the runtime's clock (tests move it). Redis down: every provider counts as
available (fail open) — an alert sent through a struggling provider beats an alert held back.
Keys hold provider names only.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from gateway import metrics
from gateway.config import Config

log = logging.getLogger(__name__)
PREFIX = "gateway:circuit"
PROBE_SECONDS = 60          # longer than any send takes (connect 3 s + read 10 s, twice for a token)


@dataclass(frozen=True)
class Choice:
    provider: str | None      # None: every provider is resting; try again in wait_seconds
    wait_seconds: float = 0.0


class Breaker:
    def __init__(self, redis: Redis, config: Config):
        self._redis = redis
        self._threshold, self._window = config.failover_after_failures
        self._cooldown = config.failover_cooldown_seconds

    def choose(self, chain: tuple[str, ...], now: float) -> Choice:
        """The first provider of `chain` whose circuit lets a message through."""
        if len(chain) == 1 or self._threshold <= 0:     # nothing to fail over to: no Redis round trip
            return Choice(chain[0])
        waits = []
        for provider in chain:
            wait = self._rest_left(provider, now)
            if wait <= 0:
                return Choice(provider)
            waits.append(wait)
        return Choice(None, min(waits))

    def failed(self, provider: str, now: float) -> bool:
        """Count a retryable failure; True when the circuit is now open."""
        if self._threshold <= 0:
            return False
        key = f"{PREFIX}:{provider}"
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.incr(f"{key}:failures")
                pipe.get(f"{key}:open_until")
                pipe.delete(f"{key}:probe")
                count, was_open, _ = pipe.execute()
            if int(count) == 1:
                self._redis.expire(f"{key}:failures", self._window)
            if int(count) < self._threshold and was_open is None:   # a failed probe re-opens at once
                return False
            self._redis.set(f"{key}:open_until", repr(now + self._cooldown), ex=self._cooldown + self._window)
        except RedisError as exc:
            log.warning("failover state unavailable", extra={"error": type(exc).__name__})
            return False
        log.warning("provider circuit open", extra={"provider": provider, "failures": int(count),
                                                    "cooldown_seconds": self._cooldown})
        metrics.record(self._redis, "provider_circuit", provider=provider, state="opened")
        return True

    def trip(self, provider: str, now: float) -> bool:
        """Open the circuit at once (the provider refused our account); True when it is open."""
        if self._threshold <= 0:
            return False
        try:
            self._redis.set(f"{PREFIX}:{provider}:open_until", repr(now + self._cooldown),
                            ex=self._cooldown + self._window)
            self._redis.delete(f"{PREFIX}:{provider}:probe")
        except RedisError as exc:
            log.warning("failover state unavailable", extra={"error": type(exc).__name__})
            return False
        log.warning("provider circuit open: account refused", extra={"provider": provider,
                                                                     "cooldown_seconds": self._cooldown})
        metrics.record(self._redis, "provider_circuit", provider=provider, state="opened")
        return True

    def succeeded(self, provider: str) -> None:
        """The provider took a message: close its circuit."""
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.delete(f"{PREFIX}:{provider}:open_until")
                pipe.delete(f"{PREFIX}:{provider}:failures", f"{PREFIX}:{provider}:probe")
                was_open = pipe.execute()[0]
        except RedisError:
            return
        if was_open:
            log.info("provider circuit closed", extra={"provider": provider})
            metrics.record(self._redis, "provider_circuit", provider=provider, state="closed")

    def _rest_left(self, provider: str, now: float) -> float:
        """0 when a message may go to `provider` now (closed, or this caller holds the probe)."""
        key = f"{PREFIX}:{provider}"
        try:
            open_until = self._redis.get(f"{key}:open_until")
            if open_until is None:
                return 0.0
            left = float(open_until) - now
            if left > 0:
                return left
            if self._redis.set(f"{key}:probe", "1", nx=True, ex=PROBE_SECONDS):
                log.info("provider probe", extra={"provider": provider})
                return 0.0
            return 1.0          # another worker is probing; its answer decides
        except (RedisError, ValueError):
            return 0.0
