"""Classification + place recognition throughput on one core.

    python bench/bench_classify.py [--seconds 10] [--rounds 10]

Runs the evaluation messages (dev + held-out) through classify() and the place recogniser,
with the 833 administrative units only and with all 18,769 settlements added, in alternating
rounds, and reports messages per second and the per-message time ratio between the two
(goal: >= 5,000 msg/s, ratio <= 1.5). Prints a markdown table and writes
bench/results/classify.{md,json}.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workers.classification import classify  # noqa: E402
from workers.evaluation import load_records  # noqa: E402
from workers.places import Gazetteer  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def messages() -> list[str]:
    texts = []
    for name in ("eval_dev.jsonl", "eval_heldout.jsonl"):
        texts += [r["text"] for r in load_records(ROOT / "tests" / "data" / name)]
    return texts


def measure(gazetteers: list[Gazetteer], texts: list[str], seconds: float,
            rounds: int = 5) -> list[dict]:
    """Messages per second for classify + recognise with each gazetteer, timed over whole
    passes of the texts in rounds that alternate between the gazetteers, so that both meet
    the same load; each row keeps its best round (the least disturbed by other processes)."""
    for gazetteer in gazetteers:  # warm the per-word caches, as a long-running worker would
        for text in texts:
            classify(text), gazetteer.recognise(text)
    best = [float("inf")] * len(gazetteers)
    done, spent = [0] * len(gazetteers), [0.0] * len(gazetteers)
    for _ in range(rounds):
        for k, gazetteer in enumerate(gazetteers):
            messages, elapsed = _timed_passes(gazetteer, texts, seconds / rounds)
            best[k] = min(best[k], elapsed / messages)
            done[k], spent[k] = done[k] + messages, spent[k] + elapsed
    return [{"places_indexed": g.size, "messages": n, "seconds": round(t, 3),
             "msgs_per_s": round(1 / b), "us_per_msg": round(b * 1e6, 1)}
            for g, n, t, b in zip(gazetteers, done, spent, best)]


def _timed_passes(gazetteer: Gazetteer, texts: list[str], seconds: float) -> tuple[int, float]:
    # CPU time of this process, not wall time: the bench machine is shared, and another
    # process on the same core would otherwise be counted as our cost.
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for text in texts:
            classify(text)
            gazetteer.recognise(text)
        done += len(texts)
    return done, time.process_time() - start


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    # The bench machine is shared: the load says how far CPU-time figures can be trusted
    # (other processes still compete for caches and clock speed).
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"uname": uname, "cpu": cpu, "python": platform.python_version(), "load_avg": load,
            "cores": os.cpu_count(),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def render(rows: list[dict], ratio: float, info: dict) -> str:
    lines = ["# Classification + place recognition benchmark", "",
             f"- date: {info['date']}", f"- machine: `{info['uname']}`", f"- CPU: {info['cpu']}",
             f"- Python {info['python']}, one core, eval messages (dev + held-out); rates from "
             f"the best of {info['rounds']} rounds alternating between the two place lists",
             f"- load average (1, 5, 15 min) at the end: {info['load_avg']} "
             f"on {info['cores']} cores",
             "",
             "| places indexed | messages | msgs/s (CPU time) | µs/msg |", "|---:|---:|---:|---:|"]
    lines += [f"| {r['places_indexed']} | {r['messages']} | {r['msgs_per_s']} | {r['us_per_msg']} |"
              for r in rows]
    lines += ["", f"time per message, all settlements vs admin units only: **{ratio:.2f}×** "
                  "(goal ≤ 1.5×); goal ≥ 5,000 msgs/s"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0, help="per place list, all rounds")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    pin_to_one_core()
    texts = messages()
    gazetteers = [Gazetteer.load(include_settlements=False),
                  Gazetteer.load(include_settlements=True)]
    rows = measure(gazetteers, texts, args.seconds, args.rounds)
    ratio = rows[1]["us_per_msg"] / rows[0]["us_per_msg"]
    info = {**machine(), "rounds": args.rounds}
    report = render(rows, ratio, info)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "classify.md").write_text(report, encoding="utf-8")
    payload = {"machine": info, "runs": rows, "ratio_all_vs_admin": round(ratio, 3)}
    (RESULTS / "classify.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
