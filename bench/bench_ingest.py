"""Ingest benchmark: how fast the gateway makes inbound SMS durable, against a bare endpoint.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/gw_bench REDIS_URL=redis://127.0.0.1:6379/14 \
        python bench/bench_ingest.py

The database's public schema is dropped and rebuilt and the Redis database flushed, as the
test suite does: give it databases of its own. Needs wrk (`apt-get install -y wrk`) and the
`bench` extra (`pip install -e '.[bench]'`). In one run, with the same gunicorn settings:
  1. the bare endpoint (form in, TwiML out) under wrk at 32 connections;
  2. the gateway (PostgreSQL + Redis) under the same load, with signed requests;
  3. RQ workers drain the queues; every accepted message must be stored once and processed;
  4. end to end at a steady 100 msg/s with 2 `gateway worker` processes: webhook accepted →
     alert at a fake Twilio API;
and peak RSS of every gunicorn and RQ worker throughout. Results go to bench/results/.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.ingestkit import checks, report  # noqa: E402
from bench.ingestkit.corpus import signed_form, sender_pool, write_corpus  # noqa: E402
from bench.ingestkit.load import PacedSender, run_wrk  # noqa: E402
from bench.ingestkit.memory import RssSampler  # noqa: E402
from bench.ingestkit.processes import (BARE_APP, GATEWAY_APP, ServerSettings, environment, free_port,  # noqa: E402
                                       gateway_cli, start_gunicorn, start_workers, stop)
from bench.ingestkit.provider import TimedProvider  # noqa: E402
from gateway.store.db import make_engine, make_session_factory  # noqa: E402
from gateway.store.migrate import upgrade  # noqa: E402

RESULTS = ROOT / "bench" / "results"
HISTORY = RESULTS / "ingest-history.json"
AUTH_TOKEN = "bench-twilio-auth-token"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="wrk duration per endpoint (<= 30)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn processes (both endpoints)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process (gthread)")
    parser.add_argument("--rate", type=float, default=100, help="end-to-end phase: messages per second")
    parser.add_argument("--e2e-seconds", type=int, default=20)
    parser.add_argument("--skip-e2e", action="store_true", help="throughput phases only (while optimising)")
    parser.add_argument("--record-step", metavar="LABEL", help="append this run to the optimisation history")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.seconds = min(args.seconds, 30)
    args.e2e_seconds = min(args.e2e_seconds, 30)
    return args


def gateway_env(port: int, provider_url: str, instance: Path) -> dict:
    if not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")):
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL to databases the bench may wipe")
    return environment({
        "SECRET_KEY": "bench-" + "s" * 40, "PSEUDONYM_KEY": base64.urlsafe_b64encode(b"b" * 32).decode(),
        "NUMBER_KEY": Fernet.generate_key().decode(), "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "b" * 32, "TWILIO_FROM": "+15005550006", "SMS_PROVIDER": "twilio",
        "TWILIO_API_BASE": provider_url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "GATEWAY_INSTANCE_DIR": str(instance), "GATEWAY_ENV": "development"})


def reset_stores(env: dict) -> None:
    engine = make_engine(env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(env["DATABASE_URL"])
    Redis.from_url(env["REDIS_URL"]).flushdb()
    gateway_cli(env, "config", "load", str(ROOT / "config" / "forums.demo.yaml"))


def summarise(wrk: dict) -> dict:
    errors = sum(wrk["errors"].values())
    ms = {f"{k}_ms": v / 1000 for k, v in wrk["latency_us"].items()}
    return {"rps": wrk["requests"] / (wrk["duration_us"] / 1e6), "requests": wrk["requests"], "errors": errors,
            "error_kinds": wrk["errors"], "statuses": wrk["statuses"], "wrapped": wrk["wrapped"], **ms}


def load_phase(app: str, args, env: dict, work: Path, name: str, loads: dict, sampler=None) -> tuple[dict, list, object]:
    """Start gunicorn with `app`, warm it up, measure; return (summary, references, server)."""
    port = int(env["PUBLIC_BASE_URL"].rsplit(":", 1)[1])
    url = f"http://127.0.0.1:{port}"
    settings = ServerSettings(args.worker_class, args.workers, args.threads)
    server = start_gunicorn(app, port, settings, env, work / f"{name}.log")
    if sampler:
        sampler.watch("web", server.pid, children=True)
    corpus = lambda prefix, count: write_corpus(work / f"{name}-{prefix}.txt", base_url=url,  # noqa: E731
                                                auth_token=AUTH_TOKEN, count=count, prefix=prefix)
    warm = run_wrk(url, corpus("W", 5000), connections=args.connections, threads=args.wrk_threads,
                   seconds=2, out=work / f"{name}-warm.json")
    loads[f"{name} before"] = os.getloadavg()[0]
    measured = run_wrk(url, corpus("L", 4000 * args.seconds), connections=args.connections,
                       threads=args.wrk_threads, seconds=args.seconds, out=work / f"{name}.json")
    loads[f"{name} after"] = os.getloadavg()[0]
    return summarise(measured), warm["refs"] + measured["refs"], server


def drain(env: dict, sessions, work: Path, sampler: RssSampler, timeout: float = 600) -> dict:
    """Two burst workers after the load; then every report must have left 'received'."""
    with sessions() as session:
        waiting = checks.unprocessed(session)
    began = time.monotonic()
    workers = start_workers(2, env, work / "drain-workers.log", burst=True)
    for worker in workers:
        sampler.watch("rq", worker.pid)
    for worker in workers:
        worker.wait(timeout=timeout)
    seconds = time.monotonic() - began
    with sessions() as session:
        left = checks.unprocessed(session)
        outbound = checks.outbound_summary(session)
    return {"workers": 2, "seconds": seconds, "reports": waiting, "left": left, "outbound": outbound,
            "reports_per_s": waiting / seconds if seconds else 0.0}


def end_to_end(args, env: dict, provider: TimedProvider, work: Path, sampler: RssSampler) -> dict:
    port = int(env["PUBLIC_BASE_URL"].rsplit(":", 1)[1])
    workers = start_workers(2, env, work / "e2e-workers.log", burst=False)
    for worker in workers:
        sampler.watch("rq", worker.pid)
    time.sleep(2)                                  # workers connected and listening
    requests = paced_requests(env["PUBLIC_BASE_URL"], int(args.rate * args.e2e_seconds))
    sent = PacedSender("127.0.0.1", port, requests, args.rate).run()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not set(sent.accepted) <= set(provider.first_arrival):
        time.sleep(0.2)
    for worker in workers:
        stop(worker)
    return e2e_summary(args, sent, provider)


def paced_requests(base_url: str, count: int) -> list[tuple[str, str]]:
    pool = sender_pool(5000, seed=42)
    bodies = __import__("bench.ingestkit.corpus", fromlist=["BODIES"]).BODIES
    return [signed_form(base_url, AUTH_TOKEN, f"SME{n:012d}", pool[n % len(pool)], bodies[n % len(bodies)])
            for n in range(count)]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def e2e_summary(args, sent, provider: TimedProvider) -> dict:
    delays = [(provider.first_arrival[ref] - at) * 1000 for ref, at in sent.accepted.items()
              if ref in provider.first_arrival]
    web = [s * 1000 for s in sent.latencies]
    return {"rate": args.rate, "seconds": args.e2e_seconds, "sent": sent.sent, "accepted": len(sent.accepted),
            "statuses": sent.statuses, "late_starts": sent.late_starts, "matched": len(delays),
            "unmatched": len(sent.accepted) - len(delays),
            **{f"p{q}_ms": percentile(delays, q) for q in (50, 95, 99)}, "max_ms": max(delays, default=float("nan")),
            **{f"webhook_p{q}_ms": percentile(web, q) for q in (50, 95, 99)},
            "webhook_max_ms": max(web, default=float("nan")), "mean_ms": statistics.fmean(delays) if delays else None}


def memory_summary(peaks: dict) -> dict:
    web = sorted(peaks.get("web", {}).values(), reverse=True)
    rq = sorted(peaks.get("rq", {}).values(), reverse=True)
    return {"web": web, "rq": rq, "web_max_mb": max(web, default=0.0), "rq_max_mb": max(rq, default=0.0)}


def record_history(label: str, results: dict) -> list[dict]:
    history = json.loads(HISTORY.read_text()) if HISTORY.exists() else []
    if label:
        g = results["gateway"]
        history = [h for h in history if h["label"] != label] + [{
            "label": label, "date": results["date"], "bare_rps": results["bare"]["rps"], "gateway_rps": g["rps"],
            "ratio": results["ratio"], "p50_ms": g["p50_ms"], "p99_ms": g["p99_ms"],
            "load": f"{results['load'].get('gateway before', 0):.1f}"}]
        HISTORY.write_text(json.dumps(history, indent=2) + "\n")
    return history


def main() -> None:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    loads: dict = {"start": os.getloadavg()[0]}
    sampler = RssSampler()
    with TimedProvider() as provider:
        env = gateway_env(free_port(), provider.base_url, work / "instance")
        reset_stores(env)
        bare, _, bare_server = load_phase(BARE_APP, args, env, work, "bare", loads)
        stop(bare_server)
        sampler.start()
        gateway, refs, server = load_phase(GATEWAY_APP, args, env, work, "gateway", loads, sampler)
        engine = make_engine(env["DATABASE_URL"])
        sessions = make_session_factory(engine)
        try:
            drained = drain(env, sessions, work, sampler)
            with sessions() as session:
                accounting = checks.account(session, refs)
            e2e = None if args.skip_e2e else end_to_end(args, env, provider, work, sampler)
        finally:
            stop(server)
            engine.dispose()
        peaks = sampler.stop()
    loads["end"] = os.getloadavg()[0]
    results = {
        "date": report.now_iso(), "machine": report.machine(), "load": {k: round(v, 2) for k, v in loads.items()},
        "settings": {"server": ServerSettings(args.worker_class, args.workers, args.threads).label(),
                     "connections": args.connections, "wrk_threads": args.wrk_threads, "seconds": args.seconds},
        "bare": bare, "gateway": gateway, "ratio": gateway["rps"] / bare["rps"],
        "accounting": accounting.as_dict(), "drain": drained,
        "zero_loss": accounting.zero_loss and drained["left"] == 0 and gateway["errors"] == 0,
        "e2e": e2e, "memory": memory_summary(peaks), "workdir": str(work)}
    history = record_history(args.record_step, results)
    if e2e is None:
        print(json.dumps({k: results[k] for k in ("bare", "gateway", "ratio", "zero_loss", "drain", "load")}, indent=1))
        return
    report.write(results, history, args.out)
    print((args.out / "ingest.md").read_text())


if __name__ == "__main__":
    main()
