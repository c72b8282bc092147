"""Group commit: the webhooks of one process share transactions, each still durable before its answer.

Under a flood every webhook paid its own transaction: a commit (a WAL flush on PostgreSQL)
and five statements, each a round trip with its own CPU on both sides. Here a request
thread hands its message to the process's writer thread and waits; the writer takes every
message that arrived meanwhile (up to INGEST_BATCH_SIZE), counts them against their
senders' rate limits in one Redis round trip, and stores them with gateway.intake.store_sms:
one multi-row INSERT per table and one COMMIT for the lot. No timer: a lone message is
written at once, and the batch grows only while the previous commit is under way, so the
wait replaces time that was spent queuing for the database.

Under gunicorn's gevent workers (gateway/gunicorn_conf.py) "thread" means greenlet: the
standard library is patched, so the writer and the requests take turns at each network wait
instead of contending for the GIL.

A request is answered only after its batch committed, as before. If the batch fails:
- the database is unreachable: every message in it gets that error, and each request
  spools its own message (gateway.durable), as a lone one would;
- anything else: the messages are stored again one by one, so one message the database
  refuses fails alone and the others are kept.
A request that waits longer than WAIT_SECONDS spools its message too; if the writer
commits it later after all, the replay finds the provider message id and adds nothing.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gateway.intake import Exchange, SmsIntake, decide_holds, store_sms
from gateway.runtime import Runtime
from gateway.store.db import is_unavailable

log = logging.getLogger(__name__)
WAIT_SECONDS = 10.0      # well inside the providers' patience (Twilio: 15 s), then spool
IDLE_SECONDS = 30.0      # a writer with nothing to do ends; the next message starts another


def store_one(runtime: Runtime, intake: SmsIntake) -> Exchange:
    """Store one inbound SMS: through the process's writer, or alone when INGEST_BATCH_SIZE is 1."""
    if runtime.config.ingest_batch_size <= 1:
        return store_sms(runtime, decide_holds(runtime, [intake]))[0]
    return runtime.ingest_writer().store(intake)


class WriterTimeout(PoolTimeoutError):
    """The writer did not commit in time: treated like a database that cannot be reached."""


class GroupCommit:
    """The writer thread of one process, started on first use (after gunicorn forks)."""

    def __init__(self, runtime: Runtime, batch_size: int):
        self.runtime = runtime
        self.batch_size = batch_size
        self._waiting: queue.SimpleQueue[tuple[SmsIntake, Future]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def store(self, intake: SmsIntake) -> Exchange:
        """Store one message with whatever else is waiting; returns once it is committed."""
        future: Future = Future()
        with self._lock:
            if self._thread is None or self._pid != os.getpid():   # idle, or a forked child
                self._start()
            self._waiting.put((intake, future))
        try:
            return future.result(timeout=WAIT_SECONDS)
        except FutureTimeout:
            raise WriterTimeout(f"the ingest writer did not commit within {WAIT_SECONDS:.0f} s") from None

    def _start(self) -> None:
        self._waiting = queue.SimpleQueue()      # a forked child inherits none of its parent's requests
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                self._commit(batch)
            except BaseException as exc:       # never leave a request waiting on a dead batch
                log.error("ingest writer failed", extra={"error": type(exc).__name__})   # no values: privacy
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)

    def _next_batch(self) -> list[tuple[SmsIntake, Future]] | None:
        """Whatever is waiting, up to batch_size; None when idle for IDLE_SECONDS (the thread ends)."""
        try:
            batch = [self._waiting.get(timeout=IDLE_SECONDS)]
        except queue.Empty:
            with self._lock:                     # store() puts under this lock: nothing slips in now
                if self._waiting.empty():
                    self._thread = None
                    return None
            batch = []
        while len(batch) < self.batch_size:
            try:
                batch.append(self._waiting.get_nowait())
            except queue.Empty:
                break
        return batch

    def _commit(self, batch: list[tuple[SmsIntake, Future]]) -> None:
        decided = decide_holds(self.runtime, [intake for intake, _ in batch])   # once, even if stored one by one
        batch = [(intake, future) for intake, (_, future) in zip(decided, batch)]
        try:
            exchanges = store_sms(self.runtime, [intake for intake, _ in batch])
        except Exception as exc:
            if len(batch) == 1 or is_unavailable(exc):
                for _, future in batch:
                    future.set_exception(exc)
                return
            log.warning("group commit failed; storing one by one", extra={"messages": len(batch),
                                                                           "error": type(exc).__name__})
            for intake, future in batch:
                _settle(future, lambda intake=intake: store_sms(self.runtime, [intake])[0])
            return
        for (_, future), exchange in zip(batch, exchanges):
            future.set_result(exchange)


def _settle(future: Future, work) -> None:
    try:
        future.set_result(work())
    except Exception as exc:
        future.set_exception(exc)
