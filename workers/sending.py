"""send_message: hand one queued message to its provider, retrying only what may succeed.

No database session is held across the provider call: claim, send, record are three steps.
Retry policy reads ProviderError.retryable, never the error's text. Before the call:
- a reporter who opted out gets nothing (status suppressed), except the STOP confirmation;
- the loop guard refuses the N+1th identical message to one number within M minutes;
- the provider's rate limit (segments per second, shared by all workers) is booked; a
  short wait is slept here, a longer one puts the message back with a delay;
- with SMS_PROVIDERS listing more than one provider, the first whose circuit is closed
  carries it (gateway.failover); the message records the provider that took it.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from gateway.domain import OutboundSms
from gateway.errors import ProviderError
from gateway.failover import Breaker
from gateway.gsm7 import segment_count
from gateway.providers import failover_chain
from gateway.runtime import Runtime
from gateway.store.outbound import (Handed, SendTask, claim_for_send, claim_stuck, record_failure, record_retry,
                                    record_sent, release_claim, renew_claims)
from gateway.throttle import loop_guard_reason

log = logging.getLogger(__name__)
MAX_INLINE_WAIT_SECONDS = 2.0      # longer rate-limit waits free the worker and come back later
BULK_KINDS = ("follow_up", "digest")   # behind alerts, receipts and replies (retries stay there too)
# Sends handed over but not yet recorded are what a worker's death leaves uncertain: the
# take-over asks the provider, which lists only a number's recent messages (Twilio: 20).
# A batch's hand-off records every few sends, no more at stake than one report's alerts.
RECORD_EVERY = 3


def send_message(runtime: Runtime, message_id: int) -> str:
    """The send job: one message; returns its outcome (sent, retrying, failed, skipped, ...).

    A message left 'sending' by a worker that died is taken over (claim_stuck), and the
    provider is asked whether it already has it before it is sent again.
    """
    now = runtime.now()
    with runtime.transaction() as session:
        tasks = claim_for_send(session, [message_id], now)
        stuck = None if tasks else claim_stuck(session, message_id, now, runtime.config.send_stuck_seconds)
    outcomes = send_claimed(runtime, tasks or ([stuck] if stuck else []))
    return next(iter(outcomes), "skipped")


def send_claimed(runtime: Runtime, tasks: list[SendTask]) -> dict[str, int]:
    """Hand each claimed message to its provider, then record the ones taken in one
    transaction; return how many ended in each outcome (sent, retrying, failed, ...)."""
    outcomes: dict[str, int] = {}
    handed: list[Handed] = []
    lease = _Lease(runtime, tasks)
    try:
        for task in tasks:
            if lease.due():
                with runtime.transaction() as session:
                    _record_handed(session, handed, runtime.now())
                    lease.renew(session)
            outcome = _attempt(runtime, task, handed) if lease.holds(task) else "taken_over"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if len(handed) >= RECORD_EVERY:
                with runtime.transaction() as session:
                    _record_handed(session, handed, runtime.now())
    finally:                      # what a provider took is recorded even if a later send blew up
        if handed:
            with runtime.transaction() as session:
                _record_handed(session, handed, runtime.now())
    return outcomes


def _record_handed(session, handed: list[Handed], now) -> None:
    record_sent(session, handed, now)
    for done in handed:
        log.info("message sent", extra={"message_id": done.message_id})
    handed.clear()


class _Lease:
    """Keeps a long hand-off's claims from looking abandoned.

    A report job hands over the alerts of a whole batch; under the rate limit that can take
    longer than send_stuck_seconds, after which the sweeper would take the later messages
    over and send them a second time. Once a third of that time has passed, what was handed
    over so far is recorded and the claims on the rest are renewed, in one transaction; a
    message someone else took over meanwhile is skipped. (Recorded first: the claim time is
    when a take-over asks the provider from, so it must not move past a send.)
    """

    def __init__(self, runtime: Runtime, tasks: list[SendTask]):
        self.runtime = runtime
        self.claims: dict = {}                 # claim time -> ids of the messages claimed then
        for task in tasks:
            if task.claimed_at is not None:
                self.claims.setdefault(task.claimed_at, []).append(task.message_id)
        self.since = min(self.claims) if self.claims else None
        self.held = {message_id for ids in self.claims.values() for message_id in ids}

    def due(self) -> bool:
        return self.since is not None and (
            (self.runtime.now() - self.since).total_seconds() >= self.runtime.config.send_stuck_seconds / 3)

    def renew(self, session) -> None:
        now = self.runtime.now()
        self.held = set().union(*(renew_claims(session, ids, claimed_at, now)
                                  for claimed_at, ids in self.claims.items()))
        self.claims, self.since = {now: sorted(self.held)}, now

    def holds(self, task: SendTask) -> bool:
        return task.claimed_at is None or task.message_id in self.held


def _attempt(runtime: Runtime, task: SendTask, handed: list[Handed]) -> str:
    if task.reporter_opted_out and task.kind != "opt_out":
        _finish(runtime, task, ProviderError("reporter opted out (STOP)", retryable=False), "suppressed")
        return "suppressed"
    recipient = _recipient(runtime, task)
    if recipient is None:
        _finish(runtime, task, ProviderError("no recipient number (purged or missing)", retryable=False))
        return "failed"
    if task.uncertain_since and _found_at_provider(runtime, task, recipient, handed):
        return "reconciled"
    route = _Route(Breaker(runtime.redis, runtime.config),
                   failover_chain(task.provider, runtime.config.failover_order))
    choice = route.breaker.choose(route.chain, runtime.now().timestamp())
    if choice.provider is None:          # every provider is resting after failures
        return _put_off(runtime, task, choice.wait_seconds)
    return _send_via(runtime, task, recipient, handed, route, choice.provider, first=True)


@dataclass(frozen=True)
class _Route:
    """The providers a message may take (failover_chain) and their shared circuit state."""
    breaker: Breaker
    chain: tuple[str, ...]

    def after(self, provider: str) -> tuple[str, ...]:
        return self.chain[self.chain.index(provider) + 1:]


def _send_via(runtime: Runtime, task: SendTask, recipient: str, handed: list[Handed], route: _Route,
              provider: str, *, first: bool) -> str:
    """Book the provider's rate, check the loop guard (once per attempt), then send."""
    reservation = runtime.throttle().reserve(provider, segment_count(task.body), now=time.time(),
                                             max_wait=MAX_INLINE_WAIT_SECONDS)
    if not reservation.booked:
        return _put_off(runtime, task, reservation.wait_seconds)
    if first and task.attempts == 1 and not runtime.throttle().loop_guard_allows(
            runtime.pseudonymiser.pseudonym(recipient), task.body):
        _finish(runtime, task, ProviderError(loop_guard_reason(runtime.config), retryable=False))
        return "failed"
    if reservation.wait_seconds > 0:
        time.sleep(reservation.wait_seconds)
    return _call_provider(runtime, task, recipient, handed, route, provider)


def _call_provider(runtime: Runtime, task: SendTask, recipient: str, handed: list[Handed], route: _Route,
                   provider: str) -> str:
    try:
        result = runtime.sender(provider).send(OutboundSms(to=recipient, body=task.body))
    except ProviderError as error:
        fallback = _fallback(runtime, route, provider, error)
        if fallback:
            return _send_via(runtime, task, recipient, handed, route, fallback, first=False)
        return _handle_error(runtime, task, error)
    except Exception:
        _finish(runtime, task, ProviderError("internal error while sending", retryable=False))
        raise
    if len(route.chain) > 1:
        route.breaker.succeeded(provider)
    handed.append(Handed(task.message_id, result.provider_message_id, result.status, result.segments, provider))
    return "sent"


def _fallback(runtime: Runtime, route: _Route, provider: str, error: ProviderError) -> str | None:
    """The next provider to try right now: only when this failure opened the provider's circuit.

    Before that, a retryable failure is retried later on the same provider, as always. A
    refusal of the account (credentials, credit) opens the circuit at once: every message
    would meet it.
    """
    if not error.retryable or not route.after(provider):
        return None
    now = runtime.now().timestamp()
    opened = route.breaker.trip(provider, now) if error.account else route.breaker.failed(provider, now)
    if not opened:
        return None
    return route.breaker.choose(route.after(provider), now).provider


def _found_at_provider(runtime: Runtime, task: SendTask, recipient: str, handed: list[Handed]) -> bool:
    """A worker died between claiming this message and recording the send: did a provider take it?

    Every provider it may have gone to (its failover chain) is asked, if it can tell (Twilio
    lists what was sent); when none can, or the question fails, the message is sent again:
    an alert twice is better than an alert lost.
    """
    for provider in failover_chain(task.provider, runtime.config.failover_order):
        lookup = getattr(runtime.sender(provider), "find_sent", None)
        try:
            found = lookup(OutboundSms(to=recipient, body=task.body), task.uncertain_since) if lookup else None
        except ProviderError:
            found = None
        if found is not None:
            handed.append(Handed(task.message_id, found.provider_message_id, found.status, found.segments, provider))
            log.info("send found at provider", extra={"message_id": task.message_id, "provider": provider})
            return True
    return False


def _recipient(runtime: Runtime, task: SendTask) -> str | None:
    if task.coordinator_phone:
        return task.coordinator_phone
    if task.reporter_number_encrypted:
        return runtime.pseudonymiser.decrypt(task.reporter_number_encrypted)
    return None


def _put_off(runtime: Runtime, task: SendTask, wait_seconds: float) -> str:
    """Over the rate limit for longer than we sleep: back to queued, due again after the wait."""
    with runtime.transaction() as session:
        release_claim(session, task.message_id, runtime.now())
    runtime.queues.enqueue_send(task.message_id, attempt=task.attempts, delay_seconds=math.ceil(wait_seconds),
                                bulk=task.kind in BULK_KINDS, tag=f"w{time.time_ns()}")
    log.info("send put off by the rate limit", extra={"message_id": task.message_id, "provider": task.provider})
    return "put_off"


def _handle_error(runtime: Runtime, task: SendTask, error: ProviderError) -> str:
    backoff = runtime.config.send_backoff_seconds
    if not error.retryable or task.attempts > len(backoff):
        _finish(runtime, task, error)
        return "failed"
    with runtime.transaction() as session:
        record_retry(session, task.message_id, error.reason, error.code, runtime.now())
    runtime.queues.enqueue_send(task.message_id, attempt=task.attempts + 1,
                                delay_seconds=backoff[task.attempts - 1], bulk=task.kind in BULK_KINDS)
    log.warning("send will be retried", extra={"message_id": task.message_id, "attempt": task.attempts,
                                                "error_code": error.code})
    return "retrying"


def _finish(runtime: Runtime, task: SendTask, error: ProviderError, status: str = "failed") -> None:
    """A final outcome without a delivery, with its reason visible in the message log."""
    with runtime.transaction() as session:
        record_failure(session, task.message_id, error.reason, error.code, runtime.now(), status=status)
    log.warning("send failed", extra={"message_id": task.message_id, "status": status,
                                       "error_code": error.code})
