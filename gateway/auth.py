"""Staff credentials: argon2id password hashes, API tokens, and login throttling.

Throttling counts failures per e-mail and per client address in Redis for a window
(gateway.limits); when Redis is unreachable it fails open (logins still work, a warning is
logged) because locking every staff member out during an incident is worse than a slower
brute force.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis import Redis

from gateway import limits

_hasher = PasswordHasher()          # argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "gw_"
# A hash to verify against when the e-mail is unknown, so timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def session_fingerprint(secret_key: str, password_hash: str) -> str:
    """Kept in the session cookie: a password change signs out every other session."""
    return hmac.new(secret_key.encode(), password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def new_api_token() -> tuple[str, str]:
    """(the token, shown once; its SHA-256, stored). 256 random bits need no slow hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ThrottlePolicy:
    window_seconds: int = 15 * 60
    max_per_email: int = 5
    max_per_address: int = 30


class LoginThrottle:
    """Failed sign-ins counted per e-mail (hashed) and per address in gateway.limits' windows."""

    def __init__(self, redis: Redis, policy: ThrottlePolicy = ThrottlePolicy()):
        self.redis = redis
        self.policy = policy

    def _counters(self, email: str, address: str) -> tuple[tuple[str, str, tuple[int, int]], ...]:
        email_key = hashlib.sha256(email.lower().encode()).hexdigest()[:32]   # no address in clear in Redis
        window = self.policy.window_seconds
        return (("login-email", email_key, (self.policy.max_per_email, window)),
                ("login-addr", address, (self.policy.max_per_address, window)))

    def blocked(self, email: str, address: str) -> bool:
        return any(limits.over(self.redis, *counter) for counter in self._counters(email, address))

    def failed(self, email: str, address: str) -> None:
        for counter in self._counters(email, address):
            limits.hit(self.redis, *counter)
