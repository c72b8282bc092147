"""USSD sessions: one menus.step() per hop, answered inside the request.

The state lives in Redis under a keyed hash of the number (never the clear number) for 15
minutes, so a dropped session can be resumed by dialling again (DESIGN §2). Africa's
Talking sends every input of the session so far in `text`, joined by "*": this hop's input
is what follows the text seen on the previous hop, so free text containing "*" survives.
A finished report enters the same tables and the same job as an SMS report.

    reply = answer_hop(runtime, UssdHop("africastalking", "ATUid_1", "+22376123456", "*384*1#", "61002", "1*3"))
    reply.text, reply.end          # -> provider renders "CON …" / "END …"
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from gateway import limits, metrics
from gateway.domain import UssdHop, UssdSessionEnd
from gateway.durable import store_or_spool
from gateway.phone import normalise_number
from gateway.refcodes import new_reference
from gateway.runtime import Runtime
from gateway.spool import SpoolUnavailable
from gateway.store.ingest import NewReport, record_report
from gateway.store.models import Reporter
from gateway.store.reporters import get_or_create_reporter, language_of
from menus import MenuError, StepResult, load_menu, step

log = logging.getLogger(__name__)
STATE_TTL_SECONDS = 15 * 60
KEY_PREFIX = "ussd:"
REPEAT = object()   # new_input() result: the provider retried a hop we already answered

# Said by the gateway itself, not by a menu; GSM-7, well under 182 characters.
# Bambara: needs review by a native speaker.
UNAVAILABLE = {
    "fr": "Desole, le service est indisponible. Rappelez dans quelques minutes.",
    "en": "Sorry, the service is unavailable. Please dial again in a few minutes.",
    "bm": "Hake to, baara te se ka ke sisan. Miniti damadow kofe, i ka segin ka wele.",
}
MALFORMED = {
    "fr": "Desole, cette demande n'a pas pu etre lue. Rappelez.",
    "en": "Sorry, this request could not be read. Please dial again.",
    "bm": "Hake to, nin nyininkali ma se ka kalan. I ka segin ka wele.",
}


@dataclass(frozen=True)
class UssdReply:
    text: str     # without the "CON "/"END " prefix
    end: bool


@dataclass(frozen=True)
class SavedHop:
    """What is kept between hops, under the caller's hashed number."""
    session_id: str
    text: str      # the cumulative input seen on the last hop
    reply: str     # our answer to it, repeated if the provider retries that hop
    end: bool
    menu: dict     # menus.step() state; {} once the journey ended
    known: bool = False   # the number had a reporter row when the session started

    @property
    def language(self) -> str | None:
        answers = self.menu.get("answers") if isinstance(self.menu, dict) else None
        return answers.get("language") if isinstance(answers, dict) else None


class SessionStore:
    """USSD state in Redis: JSON under "ussd:<pseudonym>", expiring 15 minutes after the last hop."""

    def __init__(self, redis: Redis, ttl_seconds: int = STATE_TTL_SECONDS):
        self._redis, self._ttl = redis, ttl_seconds

    @staticmethod
    def key(pseudonym: str) -> str:
        return KEY_PREFIX + pseudonym

    def load(self, pseudonym: str) -> SavedHop | None:
        raw = self._redis.get(self.key(pseudonym))
        try:
            return SavedHop(**json.loads(raw)) if raw else None
        except (ValueError, TypeError):   # corrupted or from an older version: start over
            return None

    def save(self, pseudonym: str, saved: SavedHop) -> None:
        # vars(), not asdict(): asdict deep-copies the menu state, a tenth of a millisecond per hop.
        self._redis.set(self.key(pseudonym), json.dumps(vars(saved), separators=(",", ":")), ex=self._ttl)


@dataclass(frozen=True)
class Caller:
    number: str      # E.164, in memory only
    pseudonym: str
    hop: UssdHop


def new_input(saved: SavedHop | None, hop: UssdHop) -> str | None | object:
    """This hop's own input; None for a new dial; REPEAT for a hop already answered.

    >>> new_input(SavedHop("S1", "1*3", "", False, {}), UssdHop("at", "S1", "+223…", "", "", "1*3*a*b"))
    'a*b'
    """
    if not hop.text or saved is None or saved.session_id != hop.session_id:
        return None                       # a new dial (a path dialled as *384*1*3# is not replayed)
    if hop.text == saved.text or saved.text.startswith(hop.text + "*"):
        return REPEAT                     # a retry of the last hop, or a late one of an earlier hop
    if not saved.text:
        return hop.text
    if hop.text.startswith(saved.text + "*"):
        return hop.text[len(saved.text) + 1:]
    return None                           # out of step with what we saw: the menu offers to resume


def answer_hop(runtime: Runtime, hop: UssdHop) -> UssdReply:
    """Load the state, step the menu, apply its effects, save the state. Redis or database
    trouble gets an END apology, never an error. Raises InvalidNumber for a bad phoneNumber."""
    number = normalise_number(hop.phone_number, runtime.config.phone_region)
    caller = Caller(number, runtime.pseudonymiser.pseudonym(number), hop)
    sessions = SessionStore(runtime.redis)
    try:
        saved = sessions.load(caller.pseudonym)
    except RedisError as exc:
        return _unavailable(runtime, caller, None, exc)
    user_input = new_input(saved, hop)
    if user_input is REPEAT:
        return UssdReply(saved.reply, saved.end)
    try:
        reply, kept = _step_and_apply(runtime, caller, saved, user_input)
    except (SQLAlchemyError, SpoolUnavailable) as exc:   # nothing saved: the last screen can be resumed
        return _unavailable(runtime, caller, saved, exc)
    try:
        sessions.save(caller.pseudonym, kept)
    except RedisError as exc:             # a submitted report is durable: still show its code
        return reply if reply.end else _unavailable(runtime, caller, saved, exc)
    return reply


def record_session_end(runtime: Runtime, end: UssdSessionEnd) -> str:
    """Count how the session ended and on which screen; returns that screen.

    Incomplete sessions by screen say where reporters give up (a screen to shorten or reword);
    a failed one means the aggregator gave up on us (too slow, an error), logged as an error.
    The screen comes from the state this gateway kept for the number: only a screen id of
    the menu, never an answer. Best effort: Redis trouble gives "unknown".
    Raises InvalidNumber for a bad phoneNumber.
    """
    pseudonym = runtime.pseudonymiser.pseudonym(normalise_number(end.phone_number, runtime.config.phone_region))
    try:
        saved = SessionStore(runtime.redis).load(pseudonym)
    except RedisError:
        saved = None
    screen = _screen_of(saved) if saved and saved.session_id == end.session_id else "unknown"
    metrics.record(runtime.redis, "ussd_sessions_ended", provider=end.provider, status=end.status, screen=screen)
    if end.status == "failed":
        log.error("ussd session failed at the aggregator", extra={"provider": end.provider, "screen": screen,
                                                                   "error": end.error})
    return screen


def _screen_of(saved: SavedHop) -> str:
    if saved.end:
        return "end"
    screen = saved.menu.get("screen") if isinstance(saved.menu, dict) else None
    try:
        known = load_menu().screens
    except MenuError:         # broken menu files: the hops already apologise; count, don't crash
        return "unknown"
    return screen if isinstance(screen, str) and screen in known else "unknown"


def _step_and_apply(runtime: Runtime, caller: Caller, saved: SavedHop | None,
                    user_input: str | None) -> tuple[UssdReply, SavedHop]:
    """One menu step and its effects, and what to keep for the next hop."""
    state = saved.menu if saved else None
    if user_input is None or not state:   # only then does the remembered language matter
        language = remembered_language(runtime, caller.pseudonym)
        known = language is not None
    else:
        language, known = None, saved.known
    result = step(load_menu(), state, user_input, language=language)
    reply = apply_effects(runtime, caller, result, known_reporter=known)
    hop = caller.hop
    return reply, SavedHop(hop.session_id, hop.text, reply.text, reply.end, result.state, known)


def apply_effects(runtime: Runtime, caller: Caller, result: StepResult, *, known_reporter: bool) -> UssdReply:
    text = result.reply
    for effect in result.effects:
        # A number with no reporter row keeps its language in the session until its first report
        # saves both: nothing is stored about a number that never reported (DESIGN §4).
        if effect["type"] == "remember_language" and known_reporter:
            remember_language(runtime, caller, effect["language"])
        elif effect["type"] == "submit_report":
            text = text.replace("{ref}", submit_report(runtime, caller, effect["answers"]))
    return UssdReply(text, result.end)


def remembered_language(runtime: Runtime, pseudonym: str) -> str | None:
    """The language this number chose before; None if unknown or the database is down."""
    try:
        return language_of(runtime.engine, pseudonym)
    except SQLAlchemyError:
        return None


def remember_language(runtime: Runtime, caller: Caller, language: str) -> None:
    try:
        with runtime.transaction() as session:
            _reporter(runtime, session, caller.number, language)
    except SQLAlchemyError as exc:        # a convenience for the next dial: not worth failing the hop
        log.warning("could not remember the ussd language", extra={"error": type(exc).__name__})


def submit_report(runtime: Runtime, caller: Caller, answers: dict) -> str:
    """Store the report, or spool it while the database is down; either way, its code.

    Keyed by the session id: a retried final hop, or a replay, creates nothing twice.
    Raises SpoolUnavailable when neither the database nor the spool takes it.
    """
    hop = caller.hop
    held = limits.hit(runtime.redis, "number", caller.pseudonym, runtime.config.rate_limit_per_number)
    payload = {"provider": hop.provider, "session_id": hop.session_id, "number": caller.number,
               "answers": answers, "reference": new_reference(), "held": held}
    stored = store_or_spool(runtime, "ussd_report", f"{hop.provider}:{hop.session_id}", payload)
    outcome = "spooled" if stored.spooled else "held" if held else "stored"
    metrics.record_soon(runtime.redis, "webhook_messages", provider=hop.provider, channel="ussd", outcome=outcome)
    return stored.payload["reference"] if stored.spooled else stored.result


def store_report(runtime: Runtime, payload: dict) -> str:
    """The spool replayer of submit_report: one transaction, then the job; returns the code."""
    answers = payload["answers"]
    details = {key: value for key, value in answers.items() if key != "description"}
    with runtime.transaction() as session:
        reporter = _reporter(runtime, session, payload["number"], answers["language"])
        ingested = record_report(session, reporter, NewReport(
            provider=payload["provider"], provider_message_id=payload["session_id"], channel="ussd",
            body=answers.get("description") or "", details=details, reference=payload["reference"],
            status="held" if payload["held"] else "received"), runtime.now())
    if not ingested.duplicate and not payload["held"]:
        runtime.queues.enqueue_report(ingested.report_id)
    log.info("ussd report", extra={"provider": payload["provider"], "report_id": ingested.report_id,
                                   "duplicate": ingested.duplicate})
    return ingested.reference


def _reporter(runtime: Runtime, session, number: str, language: str) -> Reporter:
    now = runtime.now()
    reporter = get_or_create_reporter(session, pseudonym=runtime.pseudonymiser.pseudonym(number),
                                      number_encrypted=runtime.pseudonymiser.encrypt(number),
                                      language=language, now=now)
    if reporter.language != language:
        reporter.language, reporter.updated_at = language, now
    return reporter


def _unavailable(runtime: Runtime, caller: Caller, saved: SavedHop | None, exc: Exception) -> UssdReply:
    log.error("ussd hop failed", extra={"provider": caller.hop.provider, "error": type(exc).__name__})
    language = (saved.language if saved else None) or remembered_language(runtime, caller.pseudonym)
    return unavailable_reply(runtime, language)


def unavailable_reply(runtime: Runtime, language: str | None) -> UssdReply:
    """END with a short apology in the reporter's language (the default one if unknown)."""
    return UssdReply(UNAVAILABLE.get(language or "", UNAVAILABLE[runtime.config.default_language]), end=True)


def malformed_reply(runtime: Runtime) -> UssdReply:
    return UssdReply(MALFORMED[runtime.config.default_language], end=True)
