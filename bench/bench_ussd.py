"""USSD hop latency and throughput: the gateway next to a bare Flask endpoint, same gunicorn.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/gw_ussd REDIS_URL=redis://127.0.0.1:6379/5 \\
        python bench/bench_ussd.py [--seconds 15] [--rounds 2] [--sessions 50]

DATABASE_URL and REDIS_URL are EMPTIED first: point them at a database and a Redis db of your own.
Both apps are served by gunicorn with the same settings (GUNICORN below), in the same run,
in alternating rounds. 50 simulated phones each play complete French journeys back to back
(dial, language, category, region, cercle, place, when, danger, description with "*",
confirm: 10 hops, 3 of them touching PostgreSQL, the last one creating the report and
enqueueing its job), each from a new number, with `text` growing exactly as Africa's
Talking builds it. The bare endpoint gets the very same requests.

Load generator: a small asyncio client with raw keep-alive HTTP/1.1 (no library on the hot
path). wrk (Debian) would cost less CPU, but its Lua hooks cannot tie a response to the
connection that sent it, so it cannot keep one phone's hops in order with a growing `text`
nor check that each journey really ended with a reference code; the same client drives both
apps, so its own cost weighs on both sides alike.

Two loads, each on both apps:
- closed loop: every session sends its next hop as soon as the previous answer arrives. This
  gives the saturation throughput (the throughput goal compares these), but by Little's law
  its latency is 50 / throughput: queueing behind the other 49 sessions, not hop cost;
- paced: each session "reads and types" for a random think time between hops, chosen so
  that the 50 sessions offer half of the gateway's closed-loop throughput (still far above
  the hop rate of 50 real people at 5-20 s per screen). The latency goal reads these.

Prints a markdown table and writes bench/results/ussd.{md,json}.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
TOKEN = "bench-token"
PATH = "/webhooks/africastalking/ussd?" + urllib.parse.urlencode({"token": TOKEN})
GUNICORN = ["-c", "python:gateway.gunicorn_conf", "--backlog", "512", "--log-level", "warning"]   # production settings
JOURNEY = ["1", "3", "1", "4", "Sitakili*site", "1", "1", "Bagarre * orpailleurs, 3 blesses", "1"]
HOP_KIND = {0: "dial", len(JOURNEY): "submit"}    # by the number of answers sent; the rest: menu
TARGETS = {"bare Flask": "bench.bare_ussd_app:app", "gateway USSD": "gateway.wsgi:app"}
P99_GOAL_MS, THROUGHPUT_GOAL = 25.0, 0.5
UTILISATION = 0.5   # paced runs offer this share of the gateway's closed-loop throughput


# --- services ---------------------------------------------------------------------------------

def reset_stores(database_url: str, redis_url: str) -> None:
    from redis import Redis
    from sqlalchemy import text

    from gateway.store.db import make_engine
    from gateway.store.migrate import upgrade
    from gateway.store.models import Base

    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        names = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    Redis.from_url(redis_url).flushdb()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app_uri: str, port: int, env: dict) -> subprocess.Popen:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = Path(tempfile.mkstemp(prefix="bench-ussd-gunicorn-", suffix=".log")[1])
    server = subprocess.Popen([str(gunicorn), app_uri, "--bind", f"127.0.0.1:{port}", *GUNICORN],
                              cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    # The master listens before its workers have imported the app: wait for a real answer.
    for _ in range(600):
        try:
            status, _ = asyncio.run(Connection(port).post({"text": ""}))
            if status in (200, 400):
                return server
        except (OSError, asyncio.IncompleteReadError):
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"{app_uri} did not start; its log ({log}) ends:\n" + "\n".join(log.read_text().splitlines()[-20:]))


def server_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) of gunicorn's master and workers, from /proc."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name == str(master_pid) or fields[1] == str(master_pid):
            total += int(fields[11]) + int(fields[12])
    return total / tick


# --- the load generator -----------------------------------------------------------------------

class Connection:
    """One keep-alive HTTP/1.1 connection; reopened whenever the server closes it."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def post(self, form: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(form).encode()
        request = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                   f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        reused = self.writer is not None
        try:
            return await self._exchange(request)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            if not reused:
                raise
            self.writer = None      # the server closed an idle kept-alive connection: as browsers do, resend
            return await self._exchange(request)

    async def _exchange(self, request: bytes) -> tuple[int, str]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(request)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if ": " in line)
        payload = await self.reader.readexactly(int(headers.get("content-length", 0)))
        if headers.get("connection") == "close":
            self.writer.close()
            self.writer = None
        return int(head[0].split()[1]), payload.decode()


async def play_journeys(port: int, numbers, deadline: float, think: float, stats: dict) -> None:
    connection = Connection(port)
    rng = random.Random(next(numbers))
    if think:   # paced: people do not all dial at the same instant; spread the starts over a journey
        await asyncio.sleep(rng.uniform(0, think * (len(JOURNEY) + 1)))
    while time.perf_counter() < deadline:
        form = {"sessionId": f"ATUid_bench{next(numbers)}", "serviceCode": "*384*123#",
                "phoneNumber": f"+22376{next(numbers) % 1_000_000:06d}", "networkCode": "61002", "text": ""}
        inputs: list[str] = []
        for answer in [None, *JOURNEY]:
            if answer is not None:
                inputs.append(answer)
                form["text"] = "*".join(inputs)
            started = time.perf_counter()
            status, body = await connection.post(form)
            elapsed = time.perf_counter() - started
            stats["latencies"].append(elapsed)
            stats["by_kind"][HOP_KIND.get(len(inputs), "menu")].append(elapsed)
            stats["unexpected"] += status != 200 or body[:4] not in ("CON ", "END ")
            if think:     # the person reading the screen and typing, compressed
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
        stats["journeys"] += 1
        stats["codes"] += body.startswith("END Merci")


async def load(port: int, sessions: int, seconds: float, think: float, numbers) -> dict:
    stats = {"latencies": [], "by_kind": {"dial": [], "menu": [], "submit": []}, "unexpected": 0,
             "journeys": 0, "codes": 0}
    started = time.perf_counter()
    await asyncio.gather(*(play_journeys(port, numbers, started + seconds, think, stats) for _ in range(sessions)))
    stats["elapsed"] = time.perf_counter() - started
    return stats


def measure(name: str, port: int, master_pid: int, args, numbers, think: float = 0.0) -> dict:
    asyncio.run(load(port, args.sessions, args.warmup, think, numbers))
    cpu_before, client_before = server_cpu_seconds(master_pid), time.process_time()
    stats = asyncio.run(load(port, args.sessions, args.seconds, think, numbers))
    cpu = server_cpu_seconds(master_pid) - cpu_before
    latencies = sorted(stats["latencies"])
    hops = len(latencies)
    return {"target": name, "load": f"paced, think {think * 1000:.0f} ms" if think else "closed loop",
            "hops": hops, "journeys": stats["journeys"], "seconds": round(stats["elapsed"], 2),
            "hops_per_s": round(hops / stats["elapsed"]),
            "p50_ms": round(statistics.median(latencies) * 1000, 2),
            "p99_ms": round(latencies[int(0.99 * (hops - 1))] * 1000, 2),
            "max_ms": round(latencies[-1] * 1000, 1),
            "server_cpu_ms_per_hop": round(cpu / hops * 1000, 3),
            "client_cpu_ms_per_hop": round((time.process_time() - client_before) / hops * 1000, 3),
            "unexpected_answers": stats["unexpected"], "journeys_with_code": stats["codes"],
            "p50_p99_ms_by_hop_kind": {kind: [_ms(found, 0.5), _ms(found, 0.99)]
                                       for kind, found in stats["by_kind"].items()}}


def _ms(latencies: list[float], quantile: float) -> float:
    ordered = sorted(latencies)
    return round(ordered[int(quantile * (len(ordered) - 1))] * 1000, 2) if ordered else 0.0


# --- report -----------------------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load_avg = os.getloadavg()
    return {"uname": subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip(),
            "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_avg],
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def paced_think(saturation: dict, sessions: int) -> float:
    """Think time per hop that offers half of what the gateway served at saturation."""
    return sessions / (UTILISATION * saturation["hops_per_s"])


def run_round(number: int, servers: dict, args, numbers) -> list[dict]:
    """Both apps at saturation, then both paced to half of the gateway's saturation throughput."""
    rows = [{"round": number, **measure(name, port, server.pid, args, numbers)}
            for name, (port, server) in servers.items()]
    think = paced_think(rows[-1], args.sessions)
    rows += [{"round": number, **measure(name, port, server.pid, args, numbers, think)}
             for name, (port, server) in servers.items()]
    for row in rows:
        print(row, file=sys.stderr)
    return rows


def verdict(rows: list[dict]) -> dict:
    def median_of(target: str, paced: bool, key: str) -> float:
        return statistics.median(r[key] for r in rows
                                 if r["target"] == target and r["load"].startswith("paced") == paced)
    ratio = median_of("gateway USSD", False, "hops_per_s") / median_of("bare Flask", False, "hops_per_s")
    p99 = median_of("gateway USSD", True, "p99_ms")
    return {"gateway_paced_p99_ms": round(p99, 2), "gateway_closed_loop_p99_ms": round(median_of("gateway USSD", False, "p99_ms"), 2),
            "throughput_ratio": round(ratio, 2),
            "p99_goal_met": p99 <= P99_GOAL_MS, "throughput_goal_met": ratio >= THROUGHPUT_GOAL}


def render(rows: list[dict], result: dict, info: dict, args) -> str:
    lines = ["# USSD hop benchmark", "",
             f"- date: {info['date']}", f"- machine: `{info['uname']}`",
             f"- CPU: {info['cpu']}, {info['cores']} cores, shared; load average before: {info['load_average_before']}",
             f"- Python {info['python']}; gunicorn `{' '.join(GUNICORN)}` for both apps; "
             "PostgreSQL and Redis on the same machine",
             f"- {args.sessions} concurrent sessions playing 10-hop French journeys (a new number each); "
             f"{args.rounds} rounds of {args.seconds:g} s per row after {args.warmup:g} s of warm-up",
             "- closed loop: next hop as soon as the answer arrives (saturation throughput); "
             f"paced: a think time that offers {UTILISATION:.0%} of the gateway's closed-loop throughput", "",
             "| round | target | load | hops | hops/s | p50 ms | p99 ms | max ms | server CPU ms/hop | unexpected | journeys with code |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['round']} | {r['target']} | {r['load']} | {r['hops']} | {r['hops_per_s']} | {r['p50_ms']} | "
              f"{r['p99_ms']} | {r['max_ms']} | {r['server_cpu_ms_per_hop']} | {r['unexpected_answers']} | "
              f"{r['journeys_with_code'] if r['target'] == 'gateway USSD' else '-'} |" for r in rows]
    lines += ["", "Gateway latency by hop kind, p50 / p99 ms (dial: state and language lookup; menu: "
                  "Redis only; submit: the report written to PostgreSQL and its job enqueued):", "",
              "| round | load | dial | menu | submit |", "|---:|---|---:|---:|---:|"]
    lines += [f"| {r['round']} | {r['load']} | " + " | ".join(
                  "{} / {}".format(*r["p50_p99_ms_by_hop_kind"][kind]) for kind in ("dial", "menu", "submit")) + " |"
              for r in rows if r["target"] == "gateway USSD"]
    lines += ["", f"- gateway p99, paced (median of rounds): **{result['gateway_paced_p99_ms']} ms** "
                  f"(goal ≤ {P99_GOAL_MS:g} ms: {'met' if result['p99_goal_met'] else 'NOT met'}); "
                  f"closed loop: {result['gateway_closed_loop_p99_ms']} ms",
              f"- closed-loop throughput, gateway / bare: **{result['throughput_ratio']}×** "
              f"(goal ≥ {THROUGHPUT_GOAL}: {'met' if result['throughput_goal_met'] else 'NOT met'})"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--gunicorn", default=" ".join(GUNICORN), help="gunicorn settings for both apps")
    parser.add_argument("--no-write", action="store_true", help="print only; keep bench/results as is")
    args = parser.parse_args()
    GUNICORN[:] = args.gunicorn.split()
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL: both are emptied")
    info = machine()
    reset_stores(database_url, redis_url)
    env = {**os.environ, "AT_WEBHOOK_TOKEN": TOKEN, "SMS_PROVIDER": "console",
           "GATEWAY_INSTANCE_DIR": tempfile.mkdtemp(prefix="bench-ussd-")}
    servers = {}
    for name, uri in TARGETS.items():
        port = free_port()
        servers[name] = (port, start_gunicorn(uri, port, env))
    numbers, rows = itertools.count(1), []
    try:
        for number in range(1, args.rounds + 1):
            rows += run_round(number, servers, args, numbers)
    finally:
        for _, server in servers.values():
            server.terminate()
            server.wait(timeout=10)
    result = verdict(rows)
    table = render(rows, result, info, args)
    print(table)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "ussd.md").write_text(table)
        payload = {"machine": info, "gunicorn": GUNICORN, "sessions": args.sessions, "rows": rows, **result}
        (RESULTS / "ussd.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
