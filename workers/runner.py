"""The RQ worker process, with the periodic sweep, spool drain and a heartbeat.

Worker class: SimpleWorker (no fork per job). Our jobs are short and I/O-bound; forking
costs ~8 ms per job on a 2-core machine (protocols.md §5.5) and would force every job to
re-open its database connections. Isolation from crashes is kept at the process level:
run several worker processes under a supervisor (compose restarts them). A worker killed
mid-job (SIGKILL, OOM) stops beating; the sweeper then fails its job so it runs again
(gateway.queues.recover_abandoned), and the job's idempotence keeps alerts single.
"""
from __future__ import annotations

import logging
import threading

from rq import SimpleWorker

from gateway import metrics
from gateway.durable import drain_quietly
from gateway.errors import ConfigError
from gateway.logs import configure_logging
from gateway.runtime import current
from gateway.sweeper import sweep
from workers.pipeline import warm_up

log = logging.getLogger(__name__)
SWEEP_LOCK = "gateway:sweep-lock"


def run_worker(*, burst: bool = False, with_scheduler: bool = True) -> None:
    configure_logging()
    runtime = current()
    if runtime.config.embedded:
        raise ConfigError("`gateway worker` needs REDIS_URL; without it `gateway serve` runs its own worker")
    warm_up()      # lexicons and gazetteer index now (~1.4 s), not in the first report's job
    worker = SimpleWorker(runtime.queues.all(), connection=runtime.redis,
                          exception_handlers=[_count_failure(runtime)])
    if not burst:
        _every(runtime.config.worker_heartbeat_seconds, "heartbeat", lambda: _beat(runtime, worker.name))
        _every(runtime.config.sweep_interval_seconds, "sweeper", lambda: _housekeeping(runtime))
    worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="WARNING")


def _beat(runtime, worker_name: str) -> None:
    runtime.queues.beat(worker_name, ttl_seconds=3 * runtime.config.worker_heartbeat_seconds)


def _housekeeping(runtime) -> None:
    # The spool is this host's disk and needs no Redis: drained by every worker, one at a time
    # per host (a file lock). The sweep needs Redis and runs in one worker at a time overall.
    drain_quietly(runtime)
    if runtime.redis.set(SWEEP_LOCK, "1", nx=True, ex=runtime.config.sweep_interval_seconds):
        sweep(runtime)
        runtime.queues.enqueue_trends_tick(runtime.now())   # throttled inside the job


def _every(seconds: int, name: str, task) -> None:
    def loop() -> None:
        while True:
            try:
                task()
            except Exception:
                log.exception("periodic task failed", extra={"task": name})
            threading.Event().wait(seconds)

    threading.Thread(target=loop, name=name, daemon=True).start()


def _count_failure(runtime):
    def handler(job, exc_type, _exc_value, _traceback) -> bool:
        metrics.record(runtime.redis, "job_failures", function=job.id.split("-")[0], reason=exc_type.__name__)
        return True          # and let RQ handle the failure as usual
    return handler
