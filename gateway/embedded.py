"""The embedded queue: a Redis-compatible server in memory and a worker thread.

Used when REDIS_URL is unset, so that `gateway serve` needs nothing but Python on a
fresh machine. Same RQ jobs, same code paths as production; only the transport differs.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache

import fakeredis
from rq import SimpleWorker
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def embedded_redis() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis(server=fakeredis.FakeServer())


class ThreadWorker(SimpleWorker):
    """SimpleWorker that can run outside the main thread (no signals, timer timeouts)."""
    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        if threading.current_thread() is threading.main_thread():
            super()._install_signal_handlers()


class EmbeddedWorker(threading.Thread):
    """Drains the queues, runs due scheduled jobs (send retries), the periodic sweep and spool drain."""

    def __init__(self, runtime, sweep, poll_seconds: float = 0.2):
        super().__init__(name="embedded-worker", daemon=True)
        self._runtime = runtime
        self._poll = poll_seconds
        self._sweep = sweep
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        queues = self._runtime.queues.all()
        connection = self._runtime.redis
        worker = ThreadWorker(queues, connection=connection)
        scheduler = RQScheduler(queues, connection=connection)
        ticks_per_sweep = max(1, int(self._runtime.config.sweep_interval_seconds / self._poll))
        tick = 0
        while not self._stop.is_set():
            try:
                scheduler.acquire_locks()
                scheduler.enqueue_scheduled_jobs()
                worker.work(burst=True, logging_level="WARNING")
                if tick % ticks_per_sweep == 0:
                    self._sweep()
                    self._runtime.queues.enqueue_trends_tick(self._runtime.now())   # throttled inside the job
            except Exception:  # keep the thread alive; the error is logged, the sweeper retries
                log.exception("embedded worker iteration failed")
            tick += 1
            self._stop.wait(self._poll)


def start_embedded_worker(runtime) -> EmbeddedWorker | None:
    """Start the in-process worker when there is no Redis; None when real workers exist."""
    if not runtime.config.embedded:
        return None
    from gateway.durable import drain_quietly
    from gateway.sweeper import sweep

    def housekeeping() -> None:   # sweeps run between jobs here, so no started job can look abandoned
        drain_quietly(runtime)
        sweep(runtime)

    worker = EmbeddedWorker(runtime, sweep=housekeeping)
    worker.start()
    return worker
