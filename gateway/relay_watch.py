"""Relay phone health: every authenticated call is a check-in; silence is told to staff once.

Check-ins live in the database (relay_devices), not only in Redis: Redis may be flushed
(DESIGN §5), and a flushed "last seen" or "already alerted" would mean a false alarm or a
second one. Redis only spares the database a write per call: one write per device and
CHECK_IN_EVERY_SECONDS, so a storm of resends costs one row update, not hundreds.

The sweep (gateway.sweeper, every SWEEP_INTERVAL_SECONDS in the workers, and `gateway sweep`)
calls alert_silent_relays: a device silent for RELAY_SILENCE_MINUTES gets one SMS to each
triage-desk coordinator, and no other until it has checked in and gone silent again.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from redis.exceptions import RedisError

from gateway.forums_file import TRIAGE_ID
from gateway.runtime import Runtime
from gateway.store.alerts import coordinators_of
from gateway.store.models import Forum
from gateway.store.outbound import queue_outbound
from gateway.store.relays import check_in, claim_newly_silent

log = logging.getLogger(__name__)
CHECK_IN_EVERY_SECONDS = 60
SEEN_KEY = "gateway:relay-seen:"
ALERT_KIND = "relay_silence"
# GSM-7, one segment; no reporter data. Bambara readers get the French text until translated.
TEXTS = {
    "fr": "RELAIS SMS MUET: le telephone relais ..{device} n'a rien transmis depuis {minutes} min "
          "(dernier signe {last} UTC). Verifiez batterie, credit, reseau et l'application.",
    "en": "SMS RELAY SILENT: relay phone ..{device} has sent nothing for {minutes} min "
          "(last seen {last} UTC). Check its battery, credit, network and the app.",
}


def record_check_in(runtime: Runtime, device_id: str) -> None:
    """Best effort: a failed check-in must never cost the message that came with it."""
    try:
        if not _due(runtime, device_id):
            return
        with runtime.transaction() as session:
            check_in(session, device_id, runtime.now())
    except Exception as exc:  # noqa: BLE001  the next call checks in again
        log.warning("relay check-in not recorded", extra={"error": type(exc).__name__})


def _due(runtime: Runtime, device_id: str) -> bool:
    """At most one database write per device and interval (by the runtime clock, which tests
    move); with Redis down, always write. Two calls racing may both write: harmless."""
    every = max(1, min(CHECK_IN_EVERY_SECONDS, runtime.config.relay_silence_minutes * 15))
    now = runtime.now().timestamp()
    try:
        last = runtime.redis.get(SEEN_KEY + device_id)
        if last is not None and now - float(last) < every:
            return False
        runtime.redis.set(SEEN_KEY + device_id, str(now), ex=2 * every)
    except (RedisError, ValueError):
        pass
    return True


def alert_silent_relays(runtime: Runtime) -> int:
    """Tell the triage desk about each relay phone newly silent; returns how many."""
    now = runtime.now()
    with runtime.transaction() as session:
        silent = claim_newly_silent(session, now - timedelta(minutes=runtime.config.relay_silence_minutes), now)
        message_ids = [message_id for device_id, last_seen in silent
                       for message_id in _tell_desk(session, runtime, device_id, last_seen, now)]
    for message_id in message_ids:
        runtime.queues.enqueue_send(message_id)
    for device_id, _last_seen in silent:
        # An error, so that log-based monitoring sees it even when the SMS must go out through
        # the silent phone itself (the relay is the only provider): it waits for its return.
        log.error("relay phone silent", extra={"device": device_id[-6:], "messages": len(message_ids)})
    return len(silent)


def _tell_desk(session, runtime: Runtime, device_id: str, last_seen: datetime, now: datetime) -> list[int]:
    desk = session.get(Forum, TRIAGE_ID)
    if desk is None or not desk.active:
        return []
    text = silence_text(device_id, last_seen, now, desk.language)
    provider = provider_besides_relay(runtime.config.failover_order)
    return [queue_outbound(session, provider=provider, kind=ALERT_KIND, body=text, now=now,
                           coordinator_id=person.id).id
            for person in coordinators_of(session, TRIAGE_ID)]


def provider_besides_relay(order: tuple[str, ...]) -> str:
    """The first provider of SMS_PROVIDERS that is not the relay: the news that the phone is
    silent must not wait for that phone (its API may take the message and never send it)."""
    return next((name for name in order if name != "relay"), order[0])


def silence_text(device_id: str, last_seen: datetime, now: datetime, language: str) -> str:
    minutes = int((_aware(now) - _aware(last_seen)).total_seconds() // 60)
    return TEXTS.get(language, TEXTS["fr"]).format(device=device_id[-6:], minutes=minutes,
                                                    last=_aware(last_seen).strftime("%H:%M"))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
