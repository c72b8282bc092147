"""Configuration: the only reader of os.environ.

Everything has an embedded default so that `gateway serve` works on a fresh machine
(SQLite under instance/, an in-process queue, the console SMS provider). With
GATEWAY_ENV=production the defaults that are only safe on a laptop are refused.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from gateway.categories import CATEGORIES
from gateway.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"
KEYS_FILE = "keys.json"


# A follow-up SMS tells the reporter a forum took up the report. Off by default where a
# message arriving later could expose the reporter to the people reported on.
NO_FOLLOW_UP_BY_DEFAULT = frozenset({"gender_based_violence", "violent_extremism"})
DEFAULT_FOLLOW_UP_CATEGORIES = frozenset(CATEGORIES) - NO_FOLLOW_UP_BY_DEFAULT


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str | None
    secret_key: str
    pseudonym_key: bytes           # HMAC key: reporter number -> stable pseudonym
    number_key: bytes              # Fernet key: reporter number encrypted at rest
    public_base_url: str           # the URL providers sign (scheme + host, no trailing slash)
    public_base_url_given: bool = False   # False: `serve` may derive it from its bind address
    sms_provider: str = "console"
    # Failover order (SMS_PROVIDERS); the first is sms_provider. One entry: no failover.
    sms_providers: tuple[str, ...] = ()
    failover_after_failures: tuple[int, int] = (3, 120)   # retryable failures, seconds: then the next provider
    failover_cooldown_seconds: int = 300                   # then one probe message tries the first again
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_api_base: str = ""
    at_username: str = ""
    at_api_key: str = ""
    at_from: str = ""
    at_webhook_token: str = ""
    at_api_base: str = ""
    orange_client_id: str = ""
    orange_client_secret: str = ""
    orange_authorization_header: str = ""   # "Basic …" as Orange's portal shows it; instead of id + secret
    orange_sender: str = ""                 # the sender's number, e.g. +22370000000 (tel:+… in the API)
    orange_sender_name: str = ""            # a sender name Orange Mali approved; "" = the number
    orange_api_base: str = "https://api.orange.com"
    orange_webhook_token: str = ""          # ?token= on the URLs given to Orange (it does not sign)
    # Relay phone running "SMS Gateway for Android" (gateway/providers/relay.py).
    relay_signing_key: str = ""      # the app's Settings > Webhooks > Signing Key
    relay_api_base: str = "https://api.sms-gate.app/3rdparty/v1"
    relay_username: str = ""
    relay_password: str = ""
    relay_silence_minutes: int = 30  # staff are told when a relay phone is silent this long
    production: bool = False
    instance_dir: Path = DEFAULT_INSTANCE
    default_language: str = "fr"
    phone_region: str = "ML"
    send_backoff_seconds: tuple[int, ...] = (5, 30, 120, 600)
    sweep_interval_seconds: int = 60
    sweep_grace_seconds: int = 120   # a report this old and still unprocessed is re-enqueued
    # Sending (issue 5): segments per second per provider, shared by all workers; 0 = no limit.
    rate_limit_segments_per_second: float = 5.0
    rate_limit_overrides: Mapping[str, float] = field(default_factory=dict)   # provider -> segments/s
    loop_guard_max: int = 3          # identical messages to one number ...
    loop_guard_minutes: int = 10     # ... within this many minutes; more are refused
    corroboration_window_hours: int = 24
    follow_up_categories: frozenset[str] = DEFAULT_FOLLOW_UP_CATEGORIES
    retention_days: int = 365        # `gateway purge`: message text and number mappings older than this go
    staff_session_hours: int = 8     # a staff login lasts a working day
    extra: Mapping[str, str] = field(default_factory=dict)
    # Faults and hostile input (docs/reliability.md). None: <instance_dir>/spool.
    spool_dir: Path | None = None
    rate_limit_per_number: tuple[int, int] = (10, 600)         # reports, seconds; over it: held
    rate_limit_auth_failures_per_ip: tuple[int, int] = (20, 60)  # failed authentications, seconds
    trusted_proxy_hops: int = 0      # reverse proxies in front of us that set X-Forwarded-For
    metrics_token: str = ""          # when set, /metrics wants "Authorization: Bearer <token>"
    send_stuck_seconds: int = 300    # a message 'sending' this long: its worker died mid-send
    worker_heartbeat_seconds: int = 10   # a worker silent for 3x this long is dead
    database_connect_timeout: int = 5    # seconds; a webhook must answer before the provider gives up
    # A report job processes up to this many waiting reports in one transaction (its own first):
    # RQ's own cost per job is then paid once per batch, not once per report. 1: one at a time.
    report_batch_size: int = 50
    # Inbound SMS stored per transaction by a process's writer thread (gateway.group_commit):
    # at most this many of the webhooks waiting at that moment. 1: each in its own, in the request.
    ingest_batch_size: int = 64

    @property
    def spool_path(self) -> Path:
        return self.spool_dir if self.spool_dir is not None else self.instance_dir / "spool"

    @property
    def secure_cookies(self) -> bool:
        """Session cookies are marked Secure when the public URL is https."""
        return self.public_base_url.startswith("https://")

    @property
    def embedded(self) -> bool:
        """No REDIS_URL: queue and worker run inside the web process."""
        return not self.redis_url

    def with_overrides(self, **changes) -> "Config":
        return replace(self, **changes)

    @property
    def failover_order(self) -> tuple[str, ...]:
        return self.sms_providers or (self.sms_provider,)

    def rate_limit_for(self, provider: str) -> float:
        return self.rate_limit_overrides.get(provider, self.rate_limit_segments_per_second)


def load_config(env: Mapping[str, str] | None = None, **overrides) -> Config:
    env = os.environ if env is None else env
    production = env.get("GATEWAY_ENV", "development").lower() == "production"
    instance_dir = Path(env.get("GATEWAY_INSTANCE_DIR", DEFAULT_INSTANCE))
    keys = _development_keys(instance_dir) if not production else {}
    config = Config(
        database_url=env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'gateway.sqlite'}",
        redis_url=env.get("REDIS_URL") or None,
        secret_key=env.get("SECRET_KEY") or keys.get("secret_key", ""),
        pseudonym_key=_b64(env.get("PSEUDONYM_KEY") or keys.get("pseudonym_key", "")),
        number_key=(env.get("NUMBER_KEY") or keys.get("number_key", "")).encode(),
        public_base_url=(env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        public_base_url_given=bool(env.get("PUBLIC_BASE_URL")),
        **_provider_choice(env),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN") or keys.get("twilio_auth_token", ""),
        twilio_from=env.get("TWILIO_FROM", ""),
        twilio_api_base=env.get("TWILIO_API_BASE", ""),
        at_username=env.get("AT_USERNAME", ""),
        at_api_key=env.get("AT_API_KEY", ""),
        at_from=env.get("AT_FROM", ""),
        at_webhook_token=env.get("AT_WEBHOOK_TOKEN") or keys.get("at_webhook_token", ""),
        at_api_base=env.get("AT_API_BASE", ""),
        **_orange_settings(env, keys),
        **_relay_settings(env),
        production=production,
        instance_dir=instance_dir,
        **_reliability_settings(env),
        **_sending_settings(env),
        retention_days=_positive_int(env, "RETENTION_DAYS", 365),
        report_batch_size=_positive_int(env, "REPORT_BATCH_SIZE", 50),
        ingest_batch_size=_positive_int(env, "INGEST_BATCH_SIZE", 64),
    )
    config = replace(config, **overrides)
    if production:
        _refuse_unsafe_production(config)
    return config


def _provider_choice(env: Mapping[str, str]) -> dict:
    """SMS_PROVIDERS=orange,twilio: send through the first, fail over to the next (README "Failover").

    SMS_PROVIDER alone keeps working (a list of one). Given both, SMS_PROVIDER must be the
    list's first entry. `console` records instead of sending: never part of a failover list,
    or an alert could silently go nowhere.
    """
    single = env.get("SMS_PROVIDER", "").strip()
    order = tuple(dict.fromkeys(name.strip() for name in env.get("SMS_PROVIDERS", "").split(",") if name.strip()))
    if not order:
        order = (single or "console",)
    if single and single != order[0]:
        raise ConfigError(f"SMS_PROVIDER={single} but SMS_PROVIDERS starts with {order[0]}: set one of them")
    if len(order) > 1 and "console" in order:
        raise ConfigError("SMS_PROVIDERS: 'console' sends nothing and cannot be part of a failover list")
    return dict(sms_provider=order[0], sms_providers=order,
                failover_after_failures=_rate(env, "FAILOVER_AFTER_FAILURES", (3, 120)),
                failover_cooldown_seconds=_positive_int(env, "FAILOVER_COOLDOWN_SECONDS", 300))


def _orange_settings(env: Mapping[str, str], keys: Mapping[str, str]) -> dict:
    return dict(
        orange_client_id=env.get("ORANGE_CLIENT_ID", ""),
        orange_client_secret=env.get("ORANGE_CLIENT_SECRET", ""),
        orange_authorization_header=env.get("ORANGE_AUTHORIZATION_HEADER", ""),
        orange_sender=env.get("ORANGE_SENDER", ""),
        orange_sender_name=env.get("ORANGE_SENDER_NAME", ""),
        orange_api_base=(env.get("ORANGE_API_BASE") or "https://api.orange.com").rstrip("/"),
        orange_webhook_token=env.get("ORANGE_WEBHOOK_TOKEN") or keys.get("orange_webhook_token", ""),
    )


def _relay_settings(env: Mapping[str, str]) -> dict:
    return dict(
        relay_signing_key=env.get("RELAY_SIGNING_KEY", ""),
        relay_api_base=env.get("RELAY_API_BASE") or "https://api.sms-gate.app/3rdparty/v1",
        relay_username=env.get("RELAY_USERNAME", ""),
        relay_password=env.get("RELAY_PASSWORD", ""),
        relay_silence_minutes=_positive_int(env, "RELAY_SILENCE_MINUTES", 30),
    )


def _reliability_settings(env: Mapping[str, str]) -> dict:
    """Spool, limits, sweeper and worker timings (docs/reliability.md)."""
    return dict(
        spool_dir=Path(env["SPOOL_DIR"]) if env.get("SPOOL_DIR") else None,
        rate_limit_per_number=_rate(env, "RATE_LIMIT_PER_NUMBER", (10, 600)),
        rate_limit_auth_failures_per_ip=_rate(env, "RATE_LIMIT_AUTH_FAILURES_PER_IP", (20, 60)),
        trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0),
        metrics_token=env.get("METRICS_TOKEN", ""),
        send_stuck_seconds=_int(env, "SEND_STUCK_SECONDS", 300),
        worker_heartbeat_seconds=_int(env, "WORKER_HEARTBEAT_SECONDS", 10),
        database_connect_timeout=_int(env, "DATABASE_CONNECT_TIMEOUT", 5),
        sweep_interval_seconds=_int(env, "SWEEP_INTERVAL_SECONDS", 60),
        sweep_grace_seconds=_int(env, "SWEEP_GRACE_SECONDS", 120),
    )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name} must be a whole number of seconds or items, not {value!r}")
    return int(value)


def _rate(env: Mapping[str, str], name: str, default: tuple[int, int]) -> tuple[int, int]:
    """'COUNT/SECONDS', e.g. '10/600'; '0' turns the limit off."""
    value = env.get(name, "").strip()
    if not value:
        return default
    if value == "0":
        return (0, 1)
    count, _, seconds = value.partition("/")
    if not (count.isdigit() and seconds.isdigit() and int(seconds) > 0):
        raise ConfigError(f"{name} must look like COUNT/SECONDS (e.g. 10/600), not {value!r}")
    return (int(count), int(seconds))


def _sending_settings(env: Mapping[str, str]) -> dict:
    default_rate, overrides = _rate_limits(env.get("RATE_LIMIT_SEGMENTS_PER_SECOND", "5"))
    return dict(
        rate_limit_segments_per_second=default_rate, rate_limit_overrides=overrides,
        loop_guard_max=_positive_int(env, "LOOP_GUARD_MAX", 3),
        loop_guard_minutes=_positive_int(env, "LOOP_GUARD_MINUTES", 10),
        corroboration_window_hours=_positive_int(env, "CORROBORATION_WINDOW_HOURS", 24),
        follow_up_categories=_follow_up_categories(env.get("FOLLOW_UP_CATEGORIES")),
    )


def _rate_limits(value: str) -> tuple[float, dict[str, float]]:
    """'5' (every provider) or '5,twilio=10,africastalking=2' (a default, then per provider)."""
    default, overrides = 5.0, {}
    try:
        for item in filter(None, (part.strip() for part in value.split(","))):
            name, _, rate = item.rpartition("=")
            if float(rate) < 0:
                raise ValueError
            if name:
                overrides[name.strip()] = float(rate)
            else:
                default = float(rate)
    except ValueError:
        raise ConfigError("RATE_LIMIT_SEGMENTS_PER_SECOND: expected e.g. '5' or '5,twilio=10'") from None
    return default, overrides


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, not {value}")
    return value


def _follow_up_categories(value: str | None) -> frozenset[str]:
    """Unset: the default set. 'none': no follow-ups. 'all', or a comma list of category codes."""
    if value is None:
        return DEFAULT_FOLLOW_UP_CATEGORIES
    words = {word.strip() for word in value.split(",") if word.strip()}
    if words <= {"none"}:
        return frozenset()
    if words == {"all"}:
        return frozenset(CATEGORIES)
    unknown = words - set(CATEGORIES)
    if unknown:
        raise ConfigError(f"FOLLOW_UP_CATEGORIES: unknown categories {sorted(unknown)}")
    return frozenset(words)


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value) if value else b""


def _development_keys(instance_dir: Path) -> dict[str, str]:
    """Generate key material once into instance/keys.json (mode 0600) for development.

    Production must bring its own keys: losing this file loses every pseudonym mapping.
    """
    path = instance_dir / KEYS_FILE
    if path.exists():
        return json.loads(path.read_text())
    from cryptography.fernet import Fernet

    keys = {
        "secret_key": secrets.token_urlsafe(32),
        "pseudonym_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "number_key": Fernet.generate_key().decode(),
        "twilio_auth_token": secrets.token_hex(16),
        "at_webhook_token": secrets.token_urlsafe(24),
        "orange_webhook_token": secrets.token_urlsafe(24),
    }
    instance_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle)
    os.replace(tmp, path)
    return keys


REQUIRED_IN_PRODUCTION = {
    "SECRET_KEY": lambda c: len(c.secret_key) >= 32,
    "PSEUDONYM_KEY": lambda c: len(c.pseudonym_key) >= 32,
    "NUMBER_KEY": lambda c: len(c.number_key) == 44,
    "PUBLIC_BASE_URL (https)": lambda c: c.public_base_url.startswith("https://"),
    "DATABASE_URL (not SQLite)": lambda c: not c.database_url.startswith("sqlite"),
    "REDIS_URL": lambda c: bool(c.redis_url),
    "SMS_PROVIDER (not console)": lambda c: c.sms_provider != "console",
    "TWILIO_AUTH_TOKEN, AT_WEBHOOK_TOKEN or RELAY_SIGNING_KEY":
        lambda c: bool(c.twilio_auth_token or c.at_webhook_token or c.relay_signing_key),
    "AT_USERNAME, AT_API_KEY and AT_WEBHOOK_TOKEN (SMS_PROVIDER=africastalking)":
        lambda c: c.sms_provider != "africastalking" or bool(c.at_username and c.at_api_key and c.at_webhook_token),
    "ORANGE_CLIENT_ID and ORANGE_CLIENT_SECRET (or ORANGE_AUTHORIZATION_HEADER), ORANGE_SENDER and "
    "ORANGE_WEBHOOK_TOKEN (orange in SMS_PROVIDERS)": lambda c: "orange" not in c.failover_order or bool(
        (c.orange_authorization_header or (c.orange_client_id and c.orange_client_secret))
        and c.orange_sender and c.orange_webhook_token),
    "RELAY_USERNAME, RELAY_PASSWORD and RELAY_SIGNING_KEY (relay in SMS_PROVIDERS)":
        lambda c: "relay" not in c.failover_order or bool(c.relay_username and c.relay_password and c.relay_signing_key),
}


def _refuse_unsafe_production(config: Config) -> None:
    missing = [name for name, ok in REQUIRED_IN_PRODUCTION.items() if not ok(config)]
    if missing:
        raise ConfigError("production refuses to start; missing or unsafe: " + ", ".join(missing))
