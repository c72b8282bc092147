"""Classification + place recognition throughput on one core.

    python bench/bench_classify.py [--seconds 3]

Runs the evaluation messages (dev + held-out) through classify() and the place recogniser,
first with the 833 administrative units only, then with all 18,769 settlements added, and
reports messages per second and the per-message time ratio between the two (goal: >= 5,000
msg/s, ratio <= 1.5). Prints a markdown table and writes bench/results/classify.{md,json}.
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


def measure(gazetteer: Gazetteer, texts: list[str], seconds: float) -> dict:
    """Messages per second for classify + recognise, timed over whole passes of the texts."""
    for text in texts:  # warm the per-word caches, as a long-running worker would have them
        classify(text), gazetteer.recognise(text)
    # CPU time of this process, not wall time: the bench machine is shared, and another
    # process on the same core would otherwise be counted as our cost.
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for text in texts:
            classify(text)
            gazetteer.recognise(text)
        done += len(texts)
    elapsed = time.process_time() - start
    return {"places_indexed": gazetteer.size, "messages": done, "seconds": round(elapsed, 3),
            "msgs_per_s": round(done / elapsed), "us_per_msg": round(elapsed / done * 1e6, 1)}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    return {"uname": uname, "cpu": cpu, "python": platform.python_version(),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def render(rows: list[dict], ratio: float, info: dict) -> str:
    lines = ["# Classification + place recognition benchmark", "",
             f"- date: {info['date']}", f"- machine: `{info['uname']}`", f"- CPU: {info['cpu']}",
             f"- Python {info['python']}, one core, eval messages (dev + held-out)", "",
             "| places indexed | messages | msgs/s (CPU time) | µs/msg |", "|---:|---:|---:|---:|"]
    lines += [f"| {r['places_indexed']} | {r['messages']} | {r['msgs_per_s']} | {r['us_per_msg']} |"
              for r in rows]
    lines += ["", f"time per message, all settlements vs admin units only: **{ratio:.2f}×** "
                  "(goal ≤ 1.5×); goal ≥ 5,000 msgs/s"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    pin_to_one_core()
    texts = messages()
    rows = [measure(Gazetteer.load(include_settlements=False), texts, args.seconds),
            measure(Gazetteer.load(include_settlements=True), texts, args.seconds)]
    ratio = rows[1]["us_per_msg"] / rows[0]["us_per_msg"]
    info = machine()
    report = render(rows, ratio, info)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "classify.md").write_text(report, encoding="utf-8")
    payload = {"machine": info, "runs": rows, "ratio_all_vs_admin": round(ratio, 3)}
    (RESULTS / "classify.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
