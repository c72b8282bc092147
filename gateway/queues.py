"""The only place that enqueues. Jobs are named by dotted path: gateway never imports workers.

Queues, in the order workers take them: `sends` (alerts and receipts), `reports`, `bulk`
(digests and other mass messages), so a flood of bulk text never delays an alert.
Redis may be flushed or down: every enqueue is best-effort and the database stays the
source of truth (the sweeper re-enqueues whatever is left waiting).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import parse_composite_key

PROCESS_REPORT = "workers.jobs.process_report"
PROCESS_NEW_REPORTS = "workers.jobs.process_new_reports"
REROUTE_REPORT = "workers.jobs.reroute_report"
SEND_MESSAGE = "workers.jobs.send_message"
TRENDS_TICK = "workers.jobs.trends_tick"
ESCALATE = "workers.jobs.escalate"
QUEUE_NAMES = ("sends", "reports", "bulk")
RESULT_TTL = 300
QUEUE_REGISTRATION_SECONDS = 60
FAILURE_TTL = 7 * 24 * 3600
_DEAD = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}
HEARTBEAT_PREFIX = "gateway:worker-alive:"

log = logging.getLogger(__name__)


class Queues:
    def __init__(self, connection: Redis):
        self.connection = connection
        self.by_name = {name: Queue(name, connection=connection) for name in QUEUE_NAMES}
        self._registered_until: dict[str, float] = {}

    def all(self) -> list[Queue]:
        return list(self.by_name.values())

    def enqueue_report(self, report_id: int) -> bool:
        return self._enqueue("reports", PROCESS_REPORT, report_id, job_id=report_job_id(report_id))

    def enqueue_new_reports(self, report_ids: list[int], per_job: int) -> bool:
        """Jobs for reports just committed together: one job per `per_job` of them, one round trip.

        A lone report gets its usual process_report job. Not RQ's unique enqueue (a Lua
        script per job): ids the database has just handed out have no job yet. The sweeper,
        which re-enqueues ids that may have one, uses enqueue_report.
        """
        if not report_ids:
            return True
        queue = self.by_name["reports"]
        options = dict(result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL)
        try:
            with self.connection.pipeline(transaction=False) as pipeline:
                size = max(per_job, 1)
                for chunk in (report_ids[start:start + size] for start in range(0, len(report_ids), size)):
                    if len(chunk) == 1:
                        queue.enqueue(PROCESS_REPORT, chunk[0], job_id=report_job_id(chunk[0]),
                                      pipeline=pipeline, **options)
                    else:
                        queue.enqueue(PROCESS_NEW_REPORTS, chunk, job_id=f"reports-{chunk[0]}-{chunk[-1]}",
                                      pipeline=pipeline, **options)
                pipeline.execute()
        except RedisError as exc:
            log.warning("enqueue failed; the sweeper will retry", extra={"reports": len(report_ids),
                                                                         "error": type(exc).__name__})
            return False
        return True

    def enqueue_reroute(self, report_id: int, correction_id: int) -> bool:
        """Route a report again after a staff correction (one job per correction)."""
        return self._enqueue("reports", REROUTE_REPORT, report_id, job_id=f"reroute-{report_id}-{correction_id}")

    def drop_report_jobs(self, report_ids: list[int]) -> int:
        """Remove the queued jobs of reports another job has just processed; return how many went.

        Two round trips for any number: LREM from the queue's list (RQ's Queue.remove), then
        delete the hashes of the jobs that were still in it, and only those: a job some worker
        already dequeued keeps its hash, runs, and finds its report processed. Best-effort: a
        job left behind does no harm for the same reason.
        """
        if not report_ids:
            return 0
        queue = self.by_name["reports"]
        job_ids = [report_job_id(report_id) for report_id in report_ids]
        try:
            with self.connection.pipeline(transaction=False) as pipeline:
                for job_id in job_ids:
                    queue.remove(job_id, pipeline=pipeline)
                removed = [job_id for job_id, count in zip(job_ids, pipeline.execute()) if count]
            if removed:
                self.connection.delete(*(Job.key_for(job_id) for job_id in removed))
        except RedisError as exc:
            log.warning("redundant report jobs left queued", extra={"jobs": len(job_ids),
                                                                    "error": type(exc).__name__})
            return 0
        return len(removed)

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
                    self._enqueue_now(queue, function, args, options)
            except DuplicateJobError:
                return self._revive_if_dead(queue, job_id, function, arg, options)
            return True
        except RedisError as exc:
            log.warning("enqueue failed; the sweeper will retry", extra={"job_id": job_id, "error": type(exc).__name__})
            return False

    def _enqueue_now(self, queue: Queue, function: str, args: tuple, options: dict) -> None:
        """One round trip to Redis instead of two: the hot path of every inbound message.

        RQ's unique enqueue is one atomic Lua script, preceded by a separate round trip that
        adds the queue to the `rq:queues` set (used only to list queues: `rq info`, dashboards).
        Handing RQ a pipeline collects that SADD there instead; it is sent once a minute per
        process, which keeps the set whole even after Redis is flushed.
        """
        pipeline = self.connection.pipeline()
        try:
            queue.enqueue(function, *args, pipeline=pipeline, **options)   # the Lua script runs now
            if time.monotonic() >= self._registered_until.get(queue.name, 0.0):
                pipeline.execute()
                self._registered_until[queue.name] = time.monotonic() + QUEUE_REGISTRATION_SECONDS
        finally:
            pipeline.reset()

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


def report_job_id(report_id: int) -> str:
    return f"report-{report_id}"


def _job_id(entry: bytes | str) -> str:
    return parse_composite_key(entry.decode() if isinstance(entry, bytes) else entry)[0]
