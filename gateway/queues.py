"""The only place that enqueues. Jobs are named by dotted path: gateway never imports workers.

Queues, in the order workers take them: `sends` (alerts and receipts), `reports`, `bulk`
(digests and other mass messages), so a flood of bulk text never delays an alert.
Redis may be flushed or down: every enqueue is best-effort and the database stays the
source of truth (the sweeper re-enqueues whatever is left waiting).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import parse_composite_key

PROCESS_REPORT = "workers.jobs.process_report"
SEND_MESSAGE = "workers.jobs.send_message"
ESCALATE = "workers.jobs.escalate"
TRENDS_TICK = "workers.jobs.trends_tick"
QUEUE_NAMES = ("sends", "reports", "bulk")
RESULT_TTL = 300
FAILURE_TTL = 7 * 24 * 3600
_DEAD = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
HEARTBEAT_PREFIX = "gateway:worker-alive:"

log = logging.getLogger(__name__)


class Queues:
    def __init__(self, connection: Redis):
        self.connection = connection
        self.by_name = {name: Queue(name, connection=connection) for name in QUEUE_NAMES}

    def all(self) -> list[Queue]:
        return list(self.by_name.values())

    def enqueue_report(self, report_id: int) -> bool:
        return self._enqueue("reports", PROCESS_REPORT, report_id, job_id=f"report-{report_id}")

    def enqueue_send(self, message_id: int, *, attempt: int = 1, delay_seconds: int = 0,
                     bulk: bool = False, tag: str = "") -> bool:
        """`tag` makes the job id distinct when the same attempt is put off (rate limit)."""
        queue = "bulk" if bulk else "sends"
        job_id = f"send-{message_id}-{attempt}" + (f"-{tag}" if tag else "")
        return self._enqueue(queue, SEND_MESSAGE, message_id, job_id=job_id, delay_seconds=delay_seconds)

    def enqueue_escalation(self) -> bool:
        """The periodic escalation check: one at a time (unique id), on the alerts' queue."""
        return self._enqueue("sends", ESCALATE, None, job_id="escalate")

    def enqueue_trends_tick(self, now: datetime) -> bool:
        """The periodic trends job (spike check, due digests); it decides itself what is due.

        One job id, so ticks from several workers queue it once; the argument (the minute it was
        asked for) only shows in RQ's job list.
        """
        return self._enqueue("reports", TRENDS_TICK, int(now.timestamp()) // 60, job_id="trends-tick")

    def depth(self) -> dict[str, int]:
        return {name: queue.count for name, queue in self.by_name.items()}

    def _enqueue(self, queue_name: str, function: str, arg: int | None, *, job_id: str,
                 delay_seconds: int = 0) -> bool:
        queue = self.by_name[queue_name]
        options = dict(job_id=job_id, unique=True, result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)
        try:
            try:
                args = () if arg is None else (arg,)
                if delay_seconds:
                    queue.enqueue_in(timedelta(seconds=delay_seconds), function, *args, **options)
                else:
                    queue.enqueue(function, *args, **options)
            except DuplicateJobError:
                return self._revive_if_dead(queue, job_id, function, arg, options)
            return True
        except RedisError as exc:
            log.warning("enqueue failed; the sweeper will retry", extra={"job_id": job_id, "error": type(exc).__name__})
            return False

    def _revive_if_dead(self, queue: Queue, job_id: str, function: str, arg: int | None, options: dict) -> bool:
        """A job id that is still known: leave it if alive, replace it if it died.

        Jobs are idempotent, so re-running one whose first run failed or finished is safe;
        the state in the database decides whether it does anything.
        """
        try:
            job = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            job = None
        if job is not None and job.get_status(refresh=False) not in _DEAD | {JobStatus.FINISHED}:
            return True
        if job is not None:
            job.delete()
        queue.enqueue(function, *(() if arg is None else (arg,)), **options)
        return True

    def beat(self, worker_name: str, ttl_seconds: int) -> None:
        """A worker's sign of life; it lapses ttl_seconds after the worker stops (SIGKILL, OOM, power)."""
        self.connection.set(HEARTBEAT_PREFIX + worker_name, "1", ex=ttl_seconds)

    def recover_abandoned(self) -> list[str]:
        """Fail the started jobs whose worker stopped beating, so that enqueueing them again runs them.

        RQ would find them itself only after the job's timeout plus a minute, via the started
        registry's expiry; we expire those entries now and let RQ's own cleanup mark them failed.
        The next sweep enqueues the job id again (_revive_if_dead) and its idempotent run picks
        up where the database says it stands.
        """
        recovered = []
        for queue in self.all():
            registry = queue.started_job_registry
            dead = [entry for entry in self.connection.zrange(registry.key, 0, -1) if not self._alive(entry)]
            if dead:
                self.connection.zadd(registry.key, {entry: 0 for entry in dead}, xx=True)
                registry.cleanup()
                recovered += [_job_id(entry) for entry in dead]
        if recovered:
            log.warning("abandoned jobs failed for re-run", extra={"jobs": len(recovered)})
        return recovered

    def _alive(self, entry: bytes) -> bool:
        try:
            job = Job.fetch(_job_id(entry), connection=self.connection)
        except NoSuchJobError:
            return False
        return bool(job.worker_name) and bool(self.connection.exists(HEARTBEAT_PREFIX + job.worker_name))


def _job_id(entry: bytes | str) -> str:
    return parse_composite_key(entry.decode() if isinstance(entry, bytes) else entry)[0]
