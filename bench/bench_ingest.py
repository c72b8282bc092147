"""Ingest benchmark: how fast the gateway makes inbound SMS durable, against a bare endpoint.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/gw_bench REDIS_URL=redis://127.0.0.1:6379/14 \
        python bench/bench_ingest.py

The database's public schema is dropped and rebuilt and the Redis database flushed, as the
test suite does: give it databases of its own. Needs wrk (`apt-get install -y wrk`) and the
`bench` extra (`pip install -e '.[bench]'`). In one run, with the same gunicorn settings:
  1. the bare endpoint (form in, TwiML out) under wrk at 32 connections;
  2. the gateway (PostgreSQL + Redis) under the same load, with signed requests, next to two
     baselines: the naive durable webhook (bench/ingestkit/naive_app.py) and the gateway with
     group commit off (INGEST_BATCH_SIZE=1: one transaction per webhook, as before);
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
from bench.ingestkit.memory import RssSampler, children, cpu_seconds, cpu_used  # noqa: E402
from bench.ingestkit.processes import (BARE_APP, GATEWAY_APP, NAIVE_APP, ServerSettings, environment, free_port,  # noqa: E402
                                       gateway_cli, start_gunicorn, start_workers, stop)
from bench.ingestkit.provider import TimedProvider  # noqa: E402
from gateway import gunicorn_conf  # noqa: E402
from gateway.store.db import make_engine, make_session_factory  # noqa: E402
from gateway.store.migrate import upgrade  # noqa: E402

RESULTS = ROOT / "bench" / "results"
HISTORY = RESULTS / "ingest-history.json"
AUTH_TOKEN = "bench-twilio-auth-token"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=24, help="wrk time per endpoint (<= 30), in slices")
    parser.add_argument("--rounds", type=int, default=3, help="slices per endpoint, alternating bare/gateway")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--worker-class", default=gunicorn_conf.worker_class, help="default: gateway/gunicorn_conf.py")
    parser.add_argument("--workers", type=int, default=gunicorn_conf.workers, help="gunicorn processes (both endpoints)")
    parser.add_argument("--threads", type=int, default=16, help="threads per process, with --worker-class gthread")
    parser.add_argument("--rate", type=float, default=100, help="end-to-end phase: messages per second")
    parser.add_argument("--e2e-seconds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="throughput only, no drain or end to end (while optimising)")
    parser.add_argument("--record-step", metavar="LABEL", help="append this run to the optimisation history")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--render", action="store_true", help="only rewrite ingest.md/.png from ingest.json")
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
        "GATEWAY_INSTANCE_DIR": str(instance), "GATEWAY_ENV": "development",
        # The fake provider takes whatever it is sent; the default send rate (5 segments/s, a
        # cautious real-provider setting) would make the end-to-end phase measure the throttle.
        "RATE_LIMIT_SEGMENTS_PER_SECOND": "1000"})


def reset_stores(env: dict) -> None:
    engine = make_engine(env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(env["DATABASE_URL"])
    Redis.from_url(env["REDIS_URL"]).flushdb()
    gateway_cli(env, "config", "load", str(ROOT / "config" / "forums.demo.yaml"))


def summarise(slices: list[dict]) -> dict:
    """Merge the wrk slices of one endpoint: exact throughput and counts; p50 as the
    requests-weighted mean of the slices' p50, p90/p99/max as the worst slice's."""
    requests = sum(w["requests"] for w in slices)
    errors = {kind: sum(w["errors"][kind] for w in slices) for kind in slices[0]["errors"]}
    statuses: dict = {}
    for w in slices:
        for status, count in w["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    latency = lambda key: [w["latency_us"][key] / 1000 for w in slices]  # noqa: E731
    return {"rps": requests / (sum(w["duration_us"] for w in slices) / 1e6), "requests": requests,
            "errors": sum(errors.values()) + sum(c for st, c in statuses.items() if st != "200"),
            "error_kinds": errors, "statuses": statuses, "wrapped": sum(w["wrapped"] for w in slices),
            "p50_ms": sum(w["latency_us"]["p50"] / 1000 * w["requests"] for w in slices) / max(requests, 1),
            "p90_ms": max(latency("p90")), "p99_ms": max(latency("p99")), "max_ms": max(latency("max")),
            "slices_rps": [w["requests"] / (w["duration_us"] / 1e6) for w in slices]}


def throughput_phase(args, env: dict, work: Path, loads: dict, sampler: RssSampler) -> tuple[dict, list, object]:
    """All servers up at once; wrk alternates between them in slices, so a change in the
    machine's load (it is shared) weighs on all alike. Returns ({endpoint: summary}, refs, server)."""
    settings = ServerSettings(args.worker_class, args.workers, args.threads)
    urls = {"bare": f"http://127.0.0.1:{free_port()}", "naive": f"http://127.0.0.1:{free_port()}",
            "solo": f"http://127.0.0.1:{free_port()}", "gateway": env["PUBLIC_BASE_URL"]}
    apps = {"bare": BARE_APP, "naive": NAIVE_APP, "solo": GATEWAY_APP, "gateway": GATEWAY_APP}
    # "solo": the gateway without group commit, signing URL its own; same database and Redis.
    envs = {name: env for name in urls} | {"solo": env | {"INGEST_BATCH_SIZE": "1", "PUBLIC_BASE_URL": urls["solo"]}}
    servers = {name: start_gunicorn(apps[name], _port(url), settings, envs[name], work / f"{name}.log")
               for name, url in urls.items()}
    sampler.watch("web", servers["gateway"].pid, children=True)
    slice_seconds = max(2, args.seconds // args.rounds)

    def wrk(name: str, seconds: int, label: str) -> dict:
        # A fresh corpus for every slice of an endpoint that stores, so no MessageSid is ever
        # sent twice; the bare endpoint stores nothing and cycles through one corpus.
        corpus = work / (f"{name}-{label}.txt" if name != "bare" else "bare.txt")
        if not corpus.exists():
            write_corpus(corpus, base_url=urls[name], auth_token=AUTH_TOKEN,
                         count=RATE_CEILING[name] * max(seconds, slice_seconds), prefix=f"{name[0].upper()}{label}")
        return run_wrk(urls[name], corpus, connections=args.connections, threads=args.wrk_threads,
                       seconds=seconds, out=work / f"{name}-{label}.json")

    results: dict[str, list] = {name: [] for name in urls}
    for name in urls:                                   # warm-up, not counted
        results[name + "-warm"] = [wrk(name, 2, "warm")]
    cpu = {name: 0.0 for name in urls}
    cpu_postgres = {name: 0.0 for name in urls}
    loads["throughput before"] = os.getloadavg()[0]
    for n in range(args.rounds):
        for name in urls:
            database = (lambda: database_backends(env)) if apps[name] == GATEWAY_APP else list
            before = cpu_seconds(children(servers[name].pid)), cpu_seconds(database())
            results[name].append(wrk(name, slice_seconds, f"s{n}"))
            cpu[name] += cpu_used(before[0], cpu_seconds(children(servers[name].pid)))
            cpu_postgres[name] += cpu_used(before[1], cpu_seconds(database()))
    loads["throughput after"] = os.getloadavg()[0]
    for name in ("bare", "naive", "solo"):
        stop(servers[name])
    refs = [ref for w in results["gateway-warm"] + results["gateway"] for ref in w["refs"]]
    summaries = {name: summarise(results[name]) for name in urls}
    for name, summary in summaries.items():
        summary["cpu_ms_per_request"] = {"web": cpu[name] * 1000 / max(summary["requests"], 1)}
    for name in ("solo", "gateway"):
        summaries[name]["cpu_ms_per_request"]["postgres"] = cpu_postgres[name] * 1000 / max(
            summaries[name]["requests"], 1)
    return summaries, refs, servers["gateway"]


def database_backends(env: dict) -> list[int]:
    """The PostgreSQL server processes serving the gateway's connections (not ours)."""
    engine = make_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        pids = list(connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")))
    engine.dispose()
    return pids


# Requests signed in advance per second of load; more than either endpoint serves here.
# A gateway slice that outruns its corpus would resend MessageSids: reported as "wrapped".
RATE_CEILING = {"bare": 4000, "naive": 2500, "solo": 2500, "gateway": 2500}


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


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
            "load": f"{results['load'].get('throughput before', 0):.1f}",
            "cpu": "{web:.1f} + {postgres:.1f} ms".format(**g["cpu_ms_per_request"])}]
        HISTORY.write_text(json.dumps(history, indent=2) + "\n")
    return history


def main() -> None:
    args = parse_args()
    if args.render:
        results = json.loads((args.out / "ingest.json").read_text())
        report.write(results, results.pop("history"), args.out)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    loads: dict = {"start": os.getloadavg()[0]}
    sampler = RssSampler()
    with TimedProvider() as provider:
        env = gateway_env(free_port(), provider.base_url, work / "instance")
        reset_stores(env)
        sampler.start()
        endpoints, refs, server = throughput_phase(args, env, work, loads, sampler)
        bare, naive, solo, gateway = (endpoints[name] for name in ("bare", "naive", "solo", "gateway"))
        engine = make_engine(env["DATABASE_URL"])
        sessions = make_session_factory(engine)
        try:
            drained = None if args.quick else drain(env, sessions, work, sampler)
            with sessions() as session:
                accounting = checks.account(session, refs)
            e2e = None if args.quick else end_to_end(args, env, provider, work, sampler)
        finally:
            stop(server)
            engine.dispose()
        peaks = sampler.stop()
    loads["end"] = os.getloadavg()[0]
    results = {
        "date": report.now_iso(), "machine": report.machine(), "load": {k: round(v, 2) for k, v in loads.items()},
        "settings": {"server": ServerSettings(args.worker_class, args.workers, args.threads).label(),
                     "connections": args.connections, "wrk_threads": args.wrk_threads, "seconds": args.seconds,
                     "rounds": args.rounds},
        "bare": bare, "naive": naive, "solo": solo, "gateway": gateway, "ratio": gateway["rps"] / bare["rps"],
        "naive_ratio": naive["rps"] / bare["rps"], "solo_ratio": solo["rps"] / bare["rps"],
        "accounting": accounting.as_dict(), "drain": drained,
        "zero_loss": accounting.zero_loss and (drained or {}).get("left", 0) == 0 and gateway["errors"] == 0,
        "e2e": e2e, "memory": memory_summary(peaks), "workdir": str(work)}
    history = record_history(args.record_step, results)
    if args.quick:
        print(json.dumps({k: results[k] for k in ("bare", "naive", "solo", "gateway", "ratio", "naive_ratio", "zero_loss",
                                                  "accounting", "load")},
                         indent=1))
        return
    report.write(results, history, args.out)
    print((args.out / "ingest.md").read_text())


if __name__ == "__main__":
    main()
