"""Inbound SMS, whatever the provider: make it durable, say what to reply, enqueue the rest.

The request path never classifies, routes or calls a provider: it writes rows and
enqueues. What a message is decides what happens (DESIGN §2):
- from a registered coordinator's number: a command (OK, FIN, INFO, AIDE), never a report;
- a reporter's keyword, the whole body (STOP, START, AIDE, SUIVI <ref>, FR/EN/BM);
- anything else: a report, answered with a neutral receipt.
Commands and keywords stay in the message log (kind command / keyword) and create no
report. A reporter who sent STOP gets nothing at all until START, not even a receipt;
their reports are still kept. Replies are inline (TwiML) or queued (reply_inline=False).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from gateway import limits
from gateway.coordinator_commands import CommandSettings, run_command
from gateway.domain import InboundSms
from gateway.keywords import Keyword, parse_command, parse_keyword
from gateway.phone import normalise_number
from gateway.providers import sending_provider
from gateway.receipts import receipt_text
from gateway.reporter_keywords import run_keyword
from gateway.runtime import Runtime
from gateway.store.coordinators import CoordinatorIdentity, identify_coordinators
from gateway.store.inbound import record_inbound, reply_to
from gateway.store.ingest import NewReport, ReportDraft, find_inbound, record_reports
from gateway.store.models import Message, Report, Reporter
from gateway.store.outbound import insert_outbound, outbound_row, queue_outbound
from gateway.store.reporters import get_or_create_reporter, upsert_reporters
from gateway.throttle import loop_guard_reason

log = logging.getLogger(__name__)
SILENT = ("failed", "suppressed")        # a reply that never went out is not repeated either


@dataclass(frozen=True)
class Receipt:
    reply: str | None
    reference: str | None
    duplicate: bool


@dataclass
class Exchange:
    """One inbound message being handled, and what is left to do once it is committed."""
    runtime: Runtime
    session: Session
    inbound: InboundSms
    number: str
    now: datetime
    reply_inline: bool
    drawn_reference: str | None = None   # drawn before a spool write (gateway.durable)
    hold: bool = False                   # the sender is over its rate limit: keep the report, do not process
    kind: str = "report"
    reply: str | None = None
    reference: str | None = None
    duplicate: bool = False
    new_report_id: int | None = None
    sends: list[int] = field(default_factory=list)
    bulk_sends: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SmsIntake:
    """One inbound SMS to store, with what the webhook decided before storing it.

    `reference`: a code drawn beforehand (gateway.durable), used unless it collides.
    `hold`: the sender is over its rate limit; a report is kept as 'held', not processed.
      None: not decided yet; decide_holds counts the message when it is stored.
    `number`: the sender in E.164, when the caller has normalised it already.
    `remember_hold`: told the decision, so that a copy spooled after a failed commit
      keeps it and is not counted a second time on replay.
    """
    inbound: InboundSms
    reply_inline: bool = True
    reference: str | None = None
    hold: bool | None = False
    number: str | None = None
    remember_hold: Callable[[bool], None] | None = None

    def sender(self, region: str) -> str:
        return self.number or normalise_number(self.inbound.sender, region)


def receive_sms(runtime: Runtime, inbound: InboundSms, *, reply_inline: bool = True,
                reference: str | None = None, hold: bool = False) -> Receipt:
    """Store the message (and its report, if it is one) in one transaction, then enqueue.

    A repeated provider message id returns the same reply and creates nothing.
    Commands and keywords are handled even when held: STOP must always work.
    """
    exchange, = store_sms(runtime, [SmsIntake(inbound, reply_inline, reference, hold)])
    return finish(runtime, exchange)


def decide_holds(runtime: Runtime, intakes: list[SmsIntake]) -> list[SmsIntake]:
    """Count each undecided message against its sender's limit (RATE_LIMIT_PER_NUMBER),
    all in one Redis round trip, by pseudonym; an SMS over it is kept as 'held' (gateway.limits)."""
    undecided = [n for n, intake in enumerate(intakes) if intake.hold is None]
    if not undecided:
        return intakes
    region, pseudonym = runtime.config.phone_region, runtime.pseudonymiser.pseudonym
    over = limits.hit_many(runtime.redis, "number", [pseudonym(intakes[n].sender(region)) for n in undecided],
                           runtime.config.rate_limit_per_number)
    decided = list(intakes)
    for n, held in zip(undecided, over):
        decided[n] = replace(intakes[n], hold=held)
        if intakes[n].remember_hold is not None:
            intakes[n].remember_hold(held)
    return decided


def store_sms(runtime: Runtime, intakes: list[SmsIntake]) -> list[Exchange]:
    """Store several inbound messages in one transaction, in order, and queue their reports.

    Runs of plain reports are written with one multi-row INSERT per table (group commit,
    gateway.group_commit); commands and keywords, rare, one at a time in between, so a
    STOP followed by a report in the same batch is seen in that order.
    """
    now = runtime.now()
    with runtime.transaction() as session:
        exchanges = [Exchange(runtime, session, intake.inbound, intake.sender(runtime.config.phone_region), now,
                              intake.reply_inline, intake.reference, bool(intake.hold)) for intake in intakes]
        _dispatch(session, exchanges)
    runtime.queues.enqueue_new_reports([ex.new_report_id for ex in exchanges if ex.new_report_id is not None],
                                       per_job=runtime.config.report_batch_size)
    return exchanges


def finish(runtime: Runtime, exchange: Exchange) -> Receipt:
    """After store_sms: queue the replies the message started, log it, and say what to reply."""
    _enqueue_follow_on(runtime, exchange)
    log.info("inbound sms", extra={"provider": exchange.inbound.provider, "kind": exchange.kind,
                                   "report_id": exchange.new_report_id, "duplicate": exchange.duplicate})
    return Receipt(reply=exchange.reply, reference=exchange.reference, duplicate=exchange.duplicate)


def _dispatch(session: Session, exchanges: list[Exchange]) -> None:
    """No read-before-write for duplicates: each path's INSERT … ON CONFLICT finds a repeated
    provider message id, and only then is the first delivery read (bench/ingest-notes.md)."""
    coordinators = identify_coordinators(session, {ex.number for ex in exchanges})
    reports: list[Exchange] = []
    for ex in exchanges:
        who = coordinators.get(ex.number)
        keyword = parse_keyword(ex.inbound.body) if who is None else None
        if who is None and keyword is None:
            reports.append(ex)
            continue
        _reports(reports)
        reports = []
        if who is not None:
            _command(ex, who)
        else:
            _keyword(ex, get_or_create_reporter(
                ex.session, pseudonym=ex.runtime.pseudonymiser.pseudonym(ex.number),
                number_encrypted=ex.runtime.pseudonymiser.encrypt(ex.number),
                language=ex.runtime.config.default_language, now=ex.now), keyword)
    _reports(reports)


def _command(ex: Exchange, who: CoordinatorIdentity) -> None:
    message = record_inbound(ex.session, ex.inbound, kind="command", now=ex.now, coordinator_id=who.first_id)
    if message is None:
        return _repeat(ex, find_inbound(ex.session, ex.inbound.provider, ex.inbound.provider_message_id))
    ex.kind = "command"
    config = ex.runtime.config
    result = run_command(ex.session, who, parse_command(ex.inbound.body),
                         CommandSettings(ex.now, config.follow_up_categories, config.sms_provider))
    message.report_id = result.report_id
    ex.bulk_sends += result.follow_up_ids
    _reply(ex, message.id, result.reply, "reply", coordinator_id=who.first_id, report_id=result.report_id)


def _keyword(ex: Exchange, reporter: Reporter, keyword: Keyword) -> None:
    message = record_inbound(ex.session, ex.inbound, kind="keyword", now=ex.now, reporter_id=reporter.id)
    if message is None:
        return _repeat(ex, find_inbound(ex.session, ex.inbound.provider, ex.inbound.provider_message_id))
    ex.kind = "keyword"
    result = run_keyword(ex.session, reporter, keyword, ex.now)
    message.report_id = result.report_id
    if result.reply:
        _reply(ex, message.id, result.reply, result.reply_kind, reporter_id=reporter.id, report_id=result.report_id)


def _reports(exchanges: list[Exchange]) -> None:
    """Reports: reporters, reports, messages and receipts, one multi-row INSERT each."""
    if not exchanges:
        return
    first = exchanges[0]
    session, runtime = first.session, first.runtime
    session.flush()        # a STOP earlier in the batch changed an ORM object; the upsert below reads the row
    pseudonyms = [runtime.pseudonymiser.pseudonym(ex.number) for ex in exchanges]
    reporters = upsert_reporters(session, [(pseudonym, runtime.pseudonymiser.encrypt(ex.number))
                                           for pseudonym, ex in zip(pseudonyms, exchanges)],
                                 language=runtime.config.default_language, now=first.now)
    senders = [reporters[pseudonym] for pseudonym in pseudonyms]
    ingested = record_reports(session, [ReportDraft(reporter.id, reporter.language, NewReport(
        provider=ex.inbound.provider, provider_message_id=ex.inbound.provider_message_id, channel="sms",
        body=ex.inbound.body, reference=ex.drawn_reference, status="held" if ex.hold else "received"))
        for ex, reporter in zip(exchanges, senders)], first.now)
    receipts = []
    for ex, reporter, stored in zip(exchanges, senders, ingested):
        if stored.duplicate:
            continue
        ex.reference = stored.reference
        ex.new_report_id = None if ex.hold else stored.report_id
        if reporter.opted_out:                  # silence until START; the report itself is kept
            continue
        if ex.hold and not ex.reply_inline:     # over its rate limit: a flood must not become an SMS bill
            continue
        text = receipt_text(stored.reference, reporter.language)
        receipts.append((ex, text, outbound_row(
            provider=ex.inbound.provider if ex.reply_inline else sending_provider(
                ex.inbound.provider, runtime.config.sms_provider),
            kind="receipt", body=text, now=ex.now,
            status="replied_inline" if ex.reply_inline else "queued", in_reply_to_id=stored.message_id,
            reporter_id=reporter.id, report_id=stored.report_id)))
    _record_receipts(session, receipts)
    for ex, stored in zip(exchanges, ingested):    # after the receipts: a repeat within the batch finds its reply
        if stored.duplicate:
            _repeat(ex, session.get(Message, stored.message_id))


def _record_receipts(session: Session, receipts: list[tuple[Exchange, str, dict]]) -> None:
    """A receipt carries a reference code drawn for its report, so it is never identical to an
    earlier message: the loop guard (identical messages to one number) has nothing to count."""
    ids = insert_outbound(session, [row for _, _, row in receipts])
    for (ex, text, _), message_id in zip(receipts, ids):
        ex.reply = text
        if not ex.reply_inline:
            ex.sends.append(message_id)


def _reply(ex: Exchange, inbound_id: int, text: str, kind: str, **links) -> None:
    """Record the reply to a command or keyword; inline (checked by the loop guard) or queued."""
    config = ex.runtime.config
    if ex.reply_inline:
        allowed = ex.runtime.throttle().loop_guard_allows(
            ex.runtime.pseudonymiser.pseudonym(ex.number), text)
        queue_outbound(ex.session, provider=ex.inbound.provider, kind=kind, body=text, now=ex.now,
                       status="replied_inline" if allowed else "failed", in_reply_to_id=inbound_id,
                       failure_reason=None if allowed else loop_guard_reason(config), **links)
        ex.reply = text if allowed else None
        return
    message = queue_outbound(ex.session, provider=sending_provider(ex.inbound.provider, config.sms_provider),
                             kind=kind, body=text, now=ex.now, in_reply_to_id=inbound_id, **links)
    ex.sends.append(message.id)
    ex.reply = text


def _repeat(ex: Exchange, inbound: Message) -> None:
    """A duplicate delivery: the same reply as the first time, and nothing new."""
    ex.duplicate, ex.kind = True, inbound.kind
    reply = reply_to(ex.session, inbound.id)
    ex.reply = reply.body if reply is not None and reply.status not in SILENT else None
    if inbound.kind == "report" and inbound.report_id:
        ex.reference = ex.session.get(Report, inbound.report_id).reference


def _enqueue_follow_on(runtime: Runtime, ex: Exchange) -> None:
    """Send queued replies (receipts through an API, follow-ups after alerts); store_sms queued the report."""
    for message_id in ex.sends:
        runtime.queues.enqueue_send(message_id)
    for message_id in ex.bulk_sends:
        runtime.queues.enqueue_send(message_id, bulk=True)
