"""Results: a markdown table a person can read, the JSON behind it, and a PNG chart."""
from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import psutil

NOTES = Path(__file__).resolve().parents[1] / "ingest-notes.md"   # hand-written findings, appended
TARGETS = {
    "ratio": ("ingest throughput / bare endpoint", ">= 0.5"),
    "p99": ("ingest p99 at 32 connections", "<= 50 ms"),
    "zero_loss": ("every accepted message stored once, every report processed", "yes"),
    "e2e_p95": ("end-to-end p95 at 100 msg/s, 2 RQ workers", "<= 1 s"),
    "web_rss": ("peak RSS per gunicorn worker", "<= 150 MB"),
    "rq_rss": ("peak RSS per RQ worker", "<= 200 MB"),
}


def machine() -> dict:
    uname = platform.uname()
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), uname.processor or "unknown")
    return {"uname": f"{uname.system} {uname.release} {uname.machine}", "cpu": model, "cores": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1), "python": platform.python_version()}


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def verdicts(r: dict) -> dict[str, tuple[str, bool]]:
    e2e, mem = r["e2e"], r["memory"]
    return {
        "ratio": (f"{r['ratio']:.2f}", r["ratio"] >= 0.5),
        "p99": (f"{r['gateway']['p99_ms']:.1f} ms", r["gateway"]["p99_ms"] <= 50),
        "zero_loss": ("yes" if r["zero_loss"] else "NO", r["zero_loss"]),
        "e2e_p95": (f"{e2e['p95_ms']:.0f} ms", e2e["p95_ms"] <= 1000),
        "web_rss": (f"{mem['web_max_mb']:.0f} MB", mem["web_max_mb"] <= 150),
        "rq_rss": (f"{mem['rq_max_mb']:.0f} MB", mem["rq_max_mb"] <= 200),
    }


def markdown(r: dict, history: list[dict]) -> str:
    m, s = r["machine"], r["settings"]
    lines = [
        "# Ingest benchmark", "",
        f"{r['date']} · {m['cpu']} · {m['cores']} cores · {m['memory_gb']} GB · {m['uname']} · Python {m['python']}",
        f"Load average (1 min) before/after each phase: {r['load']}. PostgreSQL, Redis, the load generator "
        "and the servers share the machine.", "",
        f"Server: {s['server']}, the same for every endpoint, all up at once. Load: wrk, {s['connections']} "
        f"connections, {s['wrk_threads']} threads, {s['seconds']} s per endpoint after a 2 s warm-up, in "
        f"{s['rounds']} alternating slices (bare, naive, solo, gateway, bare, …) so that the shared machine's changing load "
        "weighs on both alike; every request a correctly signed Twilio webhook with a unique MessageSid. "
        "p50 is the requests-weighted mean of the slices' p50; p90, p99 and max are the worst slice's.", "",
        "## Targets", "", "| target | wanted | measured | |", "|---|---|---|---|",
    ]
    for key, (value, ok) in verdicts(r).items():
        name, wanted = TARGETS[key]
        lines.append(f"| {name} | {wanted} | {value} | {'pass' if ok else '**FAIL**'} |")
    lines += ["", "## Throughput at 32 connections", "",
              "| endpoint | requests/s | p50 | p90 | p99 | max | requests | errors |", "|---|---|---|---|---|---|---|---|"]
    for name in _endpoints(r):
        x = r[name]
        lines.append(f"| {name} | {x['rps']:.0f} | {x['p50_ms']:.1f} ms | {x['p90_ms']:.1f} ms | {x['p99_ms']:.1f} ms "
                     f"| {x['max_ms']:.0f} ms | {x['requests']} | {x['errors']} |")
    slices = " / ".join(f"{b:.0f} vs {g:.0f}" for b, g in zip(r["bare"]["slices_rps"], r["gateway"]["slices_rps"]))
    bare_cpu, gw_cpu = r["bare"]["cpu_ms_per_request"], r["gateway"]["cpu_ms_per_request"]
    lines += ["", f"Ratio gateway / bare: **{r['ratio']:.2f}** (requests/s per slice, bare vs gateway: {slices}).", ""]
    if "naive" in r:
        lines += [f"Ratio naive / bare: {r['naive_ratio']:.2f}. The naive endpoint is the second baseline "
                  "(bench/ingestkit/naive_app.py): signature, one ORM insert, one RQ enqueue; CPU "
                  f"{r['naive']['cpu_ms_per_request']['web']:.2f} ms per request in gunicorn.", ""]
    if "solo" in r:
        solo = r["solo"]["cpu_ms_per_request"]
        lines += [f"Ratio solo / bare: {r['solo_ratio']:.2f}. \"solo\" is this gateway with group commit off "
                  "(`INGEST_BATCH_SIZE=1`: one transaction per webhook, in its request thread), served beside it "
                  f"in the same run: {r['solo']['rps']:.0f} vs {r['gateway']['rps']:.0f} webhooks/s, CPU "
                  f"{solo['web']:.2f} + {solo['postgres']:.2f} ms per request (gunicorn + PostgreSQL).", ""]
    lines += [f"CPU per request, which the machine's load does not change much: bare endpoint "
              f"{bare_cpu['web']:.2f} ms in gunicorn; gateway {gw_cpu['web']:.2f} ms in gunicorn + "
              f"{gw_cpu['postgres']:.2f} ms in its PostgreSQL server processes (Redis not counted: shared "
              "with other users of the machine).", ""]
    lines += _accounting(r) + _e2e(r) + _memory(r) + _history(history)
    notes = NOTES.read_text(encoding="utf-8") if NOTES.exists() else ""
    return "\n".join(lines) + "\n" + notes


def _accounting(r: dict) -> list[str]:
    a, d = r["accounting"], r["drain"]
    return ["## Nothing lost", "",
            f"- {a['accepted']} requests answered 200 ({a['accepted_distinct']} distinct references); "
            f"{a['inbound_messages']} inbound messages and {a['reports']} reports in the database "
            "(more than accepted: requests in flight when wrk stopped, stored but not counted).",
            f"- accepted but missing: {a['accepted_missing']}; messages without a report: "
            f"{a['messages_without_report']}; reports shared by two messages: {a['reports_shared']}; "
            f"MessageSid stored twice: {a['duplicate_message_ids']}.",
            f"- after the load, {d['workers']} `gateway worker --burst` processes drained the queues in "
            f"{d['seconds']:.0f} s ({d['reports_per_s']:.0f} reports/s); reports left unprocessed: {d['left']}; "
            f"outbound: {d['outbound']}.", ""]


def _e2e(r: dict) -> list[str]:
    e = r["e2e"]
    return ["## End to end at a steady rate", "",
            f"{e['rate']:.0f} messages/s for {e['seconds']} s (open loop: a paced sender, no coordinated omission), "
            f"2 `gateway worker` processes, alerts sent with SMS_PROVIDER=twilio to a local fake Twilio API.", "",
            "| measure | p50 | p95 | p99 | max | n |", "|---|---|---|---|---|---|",
            f"| webhook accepted → first alert at the provider | {e['p50_ms']:.0f} ms | {e['p95_ms']:.0f} ms "
            f"| {e['p99_ms']:.0f} ms | {e['max_ms']:.0f} ms | {e['matched']} |",
            f"| webhook response time at {e['rate']:.0f}/s | {e['webhook_p50_ms']:.1f} ms | {e['webhook_p95_ms']:.1f} ms "
            f"| {e['webhook_p99_ms']:.1f} ms | {e['webhook_max_ms']:.0f} ms | {e['sent']} |", "",
            f"Sent {e['sent']}, accepted {e['accepted']} (statuses {e['statuses']}), alerts for "
            f"{e['matched']} of them; {e['unmatched']} accepted without an alert within the wait.", ""]


def _memory(r: dict) -> list[str]:
    mem = r["memory"]
    return ["## Memory under load (peak RSS)", "",
            f"- gunicorn workers: {', '.join(f'{v:.0f} MB' for v in mem['web'])}",
            f"- RQ workers: {', '.join(f'{v:.0f} MB' for v in mem['rq'])}", ""]


def _history(history: list[dict]) -> list[str]:
    if not history:
        return []
    lines = ["## Optimisation steps (same bench, same machine, one run each)", "",
             "| step | bare req/s | gateway req/s | ratio | gateway p50 | gateway p99 | gateway CPU/request "
             "(gunicorn + PostgreSQL) | load |", "|---|---|---|---|---|---|---|---|"]
    for h in history:
        lines.append(f"| {h['label']} | {h['bare_rps']:.0f} | {h['gateway_rps']:.0f} | {h['ratio']:.2f} "
                     f"| {h['p50_ms']:.1f} ms | {h['p99_ms']:.1f} ms | {h.get('cpu', '')} | {h.get('load', '')} |")
    return lines + [""]


def chart(r: dict, history: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 4 if history else 3
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 4))
    names = _endpoints(r)
    axes[0].bar(names, [r[n]["rps"] for n in names], color=["#999999", "#ff7f0e", "#9467bd", "#1f77b4"][-len(names):])
    axes[0].set_title(f"Throughput, 32 conn. (ratio {r['ratio']:.2f})")
    axes[0].set_ylabel("requests/s")
    _grouped(axes[1], names, {"p50": [r[n]["p50_ms"] for n in names], "p99": [r[n]["p99_ms"] for n in names]})
    axes[1].axhline(50, color="red", linestyle="--", linewidth=1, label="p99 target")
    axes[1].set_title("Latency at 32 connections")
    axes[1].set_ylabel("ms")
    axes[1].legend(loc="upper left")          # the bare endpoint's bars are short: nothing hidden
    e = r["e2e"]
    axes[2].bar(["p50", "p95", "p99"], [e["p50_ms"], e["p95_ms"], e["p99_ms"]], color="#2ca02c")
    axes[2].axhline(1000, color="red", linestyle="--", linewidth=1, label="p95 target")
    axes[2].set_title(f"End to end at {e['rate']:.0f} msg/s")
    axes[2].set_ylabel("ms")
    axes[2].legend()
    if history:
        steps = [h["label"].split(".")[0] for h in history]          # "1. main …" -> "1"
        axes[3].barh([f"step {n}" for n in steps][::-1], [h["ratio"] for h in history][::-1], color="#1f77b4")
        axes[3].axvline(0.5, color="red", linestyle="--", linewidth=1, label="target")
        axes[3].set_title("Ratio gateway / bare by step (table in ingest.md)", fontsize=9)
        axes[3].legend()
    fig.suptitle(f"Ingest bench · {r['date']} · {r['machine']['cores']} cores · {r['settings']['server']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _endpoints(r: dict) -> list[str]:
    """bare, naive, solo (runs before their introduction have none), gateway."""
    return [name for name in ("bare", "naive", "solo", "gateway") if name in r]


def _grouped(ax, names: list[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(names))], values, width, label=label)
    ax.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(names))], names)


def write(results: dict, history: list[dict], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ingest.json").write_text(json.dumps({**results, "history": history}, indent=2) + "\n")
    (directory / "ingest.md").write_text(markdown(results, history))
    chart(results, history, directory / "ingest.png")
