"""Durable intake: store now, or spool to disk when the database is down and replay later.

The same function stores a message live and replays it from the spool, so a replay does
exactly what the request would have done. Each kind of spooled entry names that function:

    @replayer("sms")                                    # payload -> stored, idempotently
    def _store_sms(runtime, payload): ...
    store_or_spool(runtime, "sms", key="twilio:SM123", payload={...})

The Africa's Talking SMS webhook needs only `receive_sms_durably(runtime(), inbound)`;
a USSD report can register its own kind (e.g. "ussd_report", keyed by session id) whose
payload carries a reference drawn with gateway.refcodes.new_reference().
Replays are idempotent because every stored message is unique on (provider, provider id).
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator

from gateway import metrics
from gateway.domain import DeliveryStatus, InboundSms
from gateway.errors import MalformedPayload
from gateway.group_commit import store_one
from gateway.intake import Receipt, SmsIntake, decide_holds, finish, store_sms
from gateway.phone import normalise_number
from gateway.redelivery import UNDELIVERED, resend_undelivered_alert
from gateway.receipts import receipt_text
from gateway.refcodes import new_reference
from gateway.runtime import Runtime
from gateway.spool import Spool, UnreadableEntry, entry_kind
from gateway.store.db import is_unavailable
from gateway.store.outbound import apply_delivery_status

log = logging.getLogger(__name__)
Replayer = Callable[[Runtime, dict], Any]
REPLAYERS: dict[str, Replayer] = {}


def replayer(kind: str) -> Callable[[Replayer], Replayer]:
    def register(function: Replayer) -> Replayer:
        REPLAYERS[kind] = function
        return function
    return register


@dataclass(frozen=True)
class Stored:
    result: Any              # what the replayer returned; None when spooled
    payload: dict            # the payload stored or spooled (a spooled retry returns the first one)
    spooled: bool


def store_or_spool(runtime: Runtime, kind: str, key: str, payload: dict) -> Stored:
    """Store through the kind's replayer; if the database is unreachable, spool the payload.

    Raises SpoolUnavailable when neither works: the caller must not acknowledge then.
    """
    try:
        return Stored(REPLAYERS[kind](runtime, payload), payload, spooled=False)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
    kept = Spool.from_config(runtime.config).put(kind, key, payload)
    log.warning("database unreachable; spooled", extra={"kind": kind})
    return Stored(None, kept, spooled=True)


def receive_sms_durably(runtime: Runtime, inbound: InboundSms, *, reply_inline: bool = True) -> Receipt:
    """gateway.intake.receive_sms, with a rate-limit flag and the spool when the database is down.

    reply_inline=False: the provider's callback cannot carry the receipt (Africa's Talking),
    so it is queued and sent through the provider's API, on replay too.
    """
    number = normalise_number(inbound.sender, runtime.config.phone_region)   # a bad one: 400, nothing stored
    if len(inbound.provider_message_id) > 64:
        raise MalformedPayload("provider message id longer than 64 characters")
    # "held" (over the sender's rate limit) is decided when the message is stored, counted
    # with the others of its batch in one round trip; None until then (gateway.intake.decide_holds).
    payload = {"inbound": _inbound_fields(inbound), "number": number, "reference": new_reference(),
               "held": None, "reply_inline": reply_inline}
    stored = store_or_spool(runtime, "sms", f"{inbound.provider}:{inbound.provider_message_id}", payload)
    outcome = "spooled" if stored.spooled else "duplicate" if stored.result.duplicate else "stored"
    metrics.record_soon(runtime.redis, "webhook_messages", provider=inbound.provider, channel="sms",
                        outcome="held" if stored.payload["held"] and outcome == "stored" else outcome)
    if stored.spooled:
        reference = stored.payload["reference"]
        return Receipt(reply=receipt_text(reference, runtime.config.default_language),
                       reference=reference, duplicate=False)
    return stored.result


def receive_delivery_status_durably(runtime: Runtime, status: DeliveryStatus) -> bool | None:
    """Apply a delivery callback, or spool it; False when the message is unknown, None when spooled."""
    payload = {"provider": status.provider, "provider_message_id": status.provider_message_id,
               "status": status.status, "error_code": status.error_code,
               "failure_reason": status.extra.get("failure_reason")}   # the provider's words, if any
    key = f"{status.provider}:{status.provider_message_id}:{status.raw_status or status.status}"
    return store_or_spool(runtime, "delivery_status", key, payload).result


def _inbound_fields(inbound: InboundSms) -> dict:
    fields = asdict(inbound)
    fields.pop("received_at", None)        # not JSON; the report's time is when it is stored
    return fields


@replayer("sms")
def _store_sms(runtime: Runtime, payload: dict) -> Receipt:
    """Live or replayed, with the other webhooks waiting in this process (gateway.group_commit)."""
    return finish(runtime, store_one(runtime, _sms_intake(payload)))


def _store_sms_batch(runtime: Runtime, payloads: list[dict]) -> None:
    """Spooled SMS replayed together: the same as _store_sms for each, in one transaction."""
    for exchange in store_sms(runtime, decide_holds(runtime, [_sms_intake(payload) for payload in payloads])):
        finish(runtime, exchange)


def _sms_intake(payload: dict) -> SmsIntake:
    return SmsIntake(InboundSms(**payload["inbound"]), reply_inline=payload.get("reply_inline", True),
                     reference=payload["reference"], hold=payload.get("held"), number=payload.get("number"),
                     remember_hold=lambda held: payload.__setitem__("held", held))


@replayer("ussd_report")
def _store_ussd_report(runtime: Runtime, payload: dict) -> str:
    """A finished USSD journey (gateway.ussd.submit_report), keyed by provider and session id."""
    from gateway.ussd import store_report   # gateway.ussd imports this module

    return store_report(runtime, payload)


@replayer("delivery_status")
def _store_delivery_status(runtime: Runtime, payload: dict) -> bool:
    """payload: provider, provider_message_id, status, error_code[, failure_reason]. False: unknown message.

    An alert reported undelivered is queued again through the next provider (gateway.redelivery).
    """
    resend_id = None
    with runtime.transaction() as session:
        known = apply_delivery_status(session, payload["provider"], payload["provider_message_id"],
                                      payload["status"], payload.get("error_code"), runtime.now(),
                                      failure_reason=payload.get("failure_reason"))
        if known and payload["status"] in UNDELIVERED:
            resend_id = resend_undelivered_alert(session, runtime.config.failover_order, payload["provider"],
                                                 payload["provider_message_id"], runtime.now())
    if not known:             # e.g. a message sent before a database was restored
        log.info("status for unknown message", extra={"provider": payload["provider"]})
    if resend_id is not None:
        runtime.queues.enqueue_send(resend_id)
    return known


@dataclass(frozen=True)
class DrainResult:
    replayed: int = 0
    quarantined: int = 0
    remaining: int = 0
    busy: bool = False        # another drainer on this host holds the lock


def drain(runtime: Runtime, limit: int | None = None) -> DrainResult:
    """Replay spooled entries, oldest first; stop at the first sign the database is still down.

    An entry is deleted only after its replay committed. One that fails for any other reason
    is quarantined (kept, never deleted) so it cannot block the ones behind it. Consecutive
    SMS entries are replayed together, up to INGEST_BATCH_SIZE in one transaction: an outage
    leaves thousands of them, and a commit and a directory sync for each made the drain
    slowest when the workers are busiest, just after the database comes back.
    """
    spool = Spool.from_config(runtime.config)
    if not spool.directory.is_dir():
        return DrainResult()
    with spool.drain_lock() as acquired:
        if not acquired:
            return DrainResult(busy=True)
        spool.remove_stale_tmp()
        outcomes: Counter[str] = Counter()
        for names in _batches(spool.names()[:limit], runtime.config.ingest_batch_size):
            outcomes.update(_replay_sms_batch(runtime, spool, names) if len(names) > 1
                            else [_replay_one(runtime, spool, names[0])])
            if outcomes["unavailable"]:
                return DrainResult(outcomes["replayed"], outcomes["quarantined"], remaining=len(spool.names()))
    replayed, quarantined = outcomes["replayed"], outcomes["quarantined"]
    if replayed or quarantined:
        log.info("spool drained", extra={"replayed": replayed, "quarantined": quarantined})
    return DrainResult(replayed, quarantined, remaining=len(spool.names()))


def _batches(names: list[str], size: int) -> Iterator[list[str]]:
    """Runs of consecutive SMS entries, at most `size` long; any other entry alone."""
    run: list[str] = []
    for name in names:
        if entry_kind(name) != "sms":
            if run:
                yield run
                run = []
            yield [name]
            continue
        run.append(name)
        if len(run) == size:
            yield run
            run = []
    if run:
        yield run


def _replay_sms_batch(runtime: Runtime, spool: Spool, names: list[str]) -> list[str]:
    """One transaction for all; if it fails other than for the database being down, one by
    one, so that only the entry at fault is quarantined."""
    try:
        _store_sms_batch(runtime, [spool.read(name).payload for name in names])
    except Exception as exc:
        if is_unavailable(exc):
            return ["unavailable"]
        outcomes = []
        for name in names:
            outcomes.append(_replay_one(runtime, spool, name))
            if outcomes[-1] == "unavailable":
                break
        return outcomes
    spool.remove(*names)
    metrics.record(runtime.redis, "spool_replays", by=len(names), kind="sms")
    return ["replayed"] * len(names)


def _replay_one(runtime: Runtime, spool: Spool, name: str) -> str:
    try:
        entry = spool.read(name)
        REPLAYERS[entry.kind](runtime, entry.payload)
    except FileNotFoundError:
        return "gone"
    except Exception as exc:
        if is_unavailable(exc):
            return "unavailable"
        reason = "unreadable" if isinstance(exc, UnreadableEntry) else type(exc).__name__
        log.error("spool entry quarantined", extra={"entry": name, "reason": reason})
        spool.quarantine(name)
        return "quarantined"
    spool.remove(name)
    metrics.record(runtime.redis, "spool_replays", kind=entry.kind)
    return "replayed"


def drain_quietly(runtime: Runtime) -> None:
    """For periodic loops: a failed drain is logged and retried next time."""
    try:
        drain(runtime)
    except Exception:
        log.exception("spool drain failed")
