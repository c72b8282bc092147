"""Rate limits on the webhooks: Redis fixed-window counters that fail open.

Two limits, chosen so that no real report is ever refused (docs/reliability.md):

- Per reporter number: a number over RATE_LIMIT_PER_NUMBER (default 10 reports in 600 s)
  still has its message stored and still gets its neutral receipt, but the report is kept
  as 'held' for staff instead of alerting coordinators: one phone cannot flood a forum,
  and a person in danger who writes many times loses nothing. Counted by pseudonym, so
  no clear number is ever a Redis key. An inbound SMS is counted with the others of its
  group-commit batch (gateway.intake.decide_holds), a USSD report when it is submitted.
- Per client IP, on failed authentication: an address that fails RATE_LIMIT_AUTH_FAILURES_PER_IP
  times (default 20 in 60 s) gets 429 instead of 403 until its window ends; a request
  that does authenticate is never refused for its address.
  Providers always sign correctly, so their addresses never collect failures and never
  lose a message to this limit; probes and junk do. Behind a reverse proxy set
  TRUSTED_PROXY_HOPS, or the proxy's own address would be the one counted.

Redis down or flushed: the counters are unknown, and every request is let through.
"""
from __future__ import annotations

import logging
import time

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
PREFIX = "gateway:rl"


def hit(redis: Redis, scope: str, subject: str, limit: tuple[int, int], now: float | None = None) -> bool:
    """Count one event; True when this event is over the limit. Fails open."""
    return hit_many(redis, scope, [subject], limit, now)[0]


def hit_many(redis: Redis, scope: str, subjects: list[str], limit: tuple[int, int],
             now: float | None = None) -> list[bool]:
    """Count one event per subject, in order, in one round trip (a subject may repeat);
    for each, True when that event is over the limit. Fails open."""
    count, window = limit
    if count <= 0 or not subjects:
        return [False] * len(subjects)
    try:
        with redis.pipeline(transaction=False) as pipe:
            for subject in subjects:
                key = _key(scope, subject, window, now)
                pipe.incr(key)
                pipe.expire(key, window + 1)
            seen = pipe.execute()[::2]
    except RedisError as exc:
        log.warning("rate limit unknown; letting through", extra={"scope": scope, "error": type(exc).__name__})
        return [False] * len(subjects)
    return [int(n) > count for n in seen]


def over(redis: Redis, scope: str, subject: str, limit: tuple[int, int], now: float | None = None) -> bool:
    """True when the subject has already used up its window (without counting). Fails open."""
    count, window = limit
    if count <= 0:
        return False
    try:
        seen = redis.get(_key(scope, subject, window, now))
    except RedisError:
        return False
    return seen is not None and int(seen) >= count


def retry_after(window: int, now: float | None = None) -> int:
    """Seconds until the current fixed window ends."""
    now = time.time() if now is None else now
    return max(1, window - int(now) % window)


def _key(scope: str, subject: str, window: int, now: float | None) -> str:
    now = time.time() if now is None else now
    return f"{PREFIX}:{scope}:{subject}:{int(now) // window}"
