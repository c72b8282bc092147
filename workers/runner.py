"""The RQ worker process, with the periodic sweep and escalation check.

Worker class: SimpleWorker (no fork per job). Our jobs are short and I/O-bound; forking
costs ~8 ms per job on a 2-core machine (protocols.md §5.5) and would force every job to
re-open its database connections. Isolation from crashes is kept at the process level:
run several worker processes under a supervisor (compose restarts them).
"""
from __future__ import annotations

import logging
import threading

from rq import SimpleWorker

from gateway.errors import ConfigError
from gateway.logs import configure_logging
from gateway.runtime import current
from gateway.sweeper import housekeeping

log = logging.getLogger(__name__)
SWEEP_LOCK = "gateway:sweep-lock"


def run_worker(*, burst: bool = False, with_scheduler: bool = True) -> None:
    configure_logging()
    runtime = current()
    if runtime.config.embedded:
        raise ConfigError("`gateway worker` needs REDIS_URL; without it `gateway serve` runs its own worker")
    if not burst:
        _start_periodic_sweep(runtime)
    worker = SimpleWorker(runtime.queues.all(), connection=runtime.redis)
    worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")


def _start_periodic_sweep(runtime) -> None:
    interval = runtime.config.sweep_interval_seconds

    def loop() -> None:
        while True:
            threading.Event().wait(interval)
            try:
                # One sweeper at a time across all worker processes.
                if runtime.redis.set(SWEEP_LOCK, "1", nx=True, ex=interval):
                    housekeeping(runtime)
            except Exception:
                log.exception("periodic sweep failed")

    threading.Thread(target=loop, name="sweeper", daemon=True).start()
