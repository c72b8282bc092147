"""Build the evaluation set (eval_dev.jsonl, eval_heldout.jsonl) from the hand-written texts.

    python tests/data/build_eval_set.py

Labels are the author's: the category, and the area the author meant. "{V}" is filled with a
real village of that cercle from the OCHA settlements file (fixed seed), written the way the
texts are (lower case and without accents when the message is), and for a share of them the
reporter's last known area is given as hint_pcode. Every third message goes to the held-out
file, which is never used to tune the lexicons.
"""
from __future__ import annotations

import csv
import json
import random
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import eval_texts_a  # noqa: E402
import eval_texts_b  # noqa: E402
import eval_texts_c  # noqa: E402

SETTLEMENTS = HERE.parent.parent / "workers" / "data" / "mali_settlements_ocha.csv"


def villages_by_cercle() -> dict[str, list[str]]:
    by_cercle: dict[str, list[str]] = {}
    with SETTLEMENTS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["name"]
            if len(name) >= 5 and not any(ch.isdigit() for ch in name):
                by_cercle.setdefault(row["cercle_pcode"], []).append(name)
    return by_cercle


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def build_record(index, entry, villages, rng) -> dict:
    lang, category, text, area = entry
    record = {"id": f"e{index:03d}", "lang": lang, "category": category}
    if "{V}" in text:
        name = rng.choice(sorted(villages[area]))
        casual = text == text.lower()  # an all-lower-case SMS writes the village that way too
        text = text.replace("{V}", strip_accents(name).lower() if casual else name)
        if rng.random() < 0.4:
            record["hint_pcode"] = area
    record["text"] = text
    record["region_pcode"] = area[:4] if area else None
    record["cercle_pcode"] = area if area and len(area) == 6 else None
    if lang == "bm":
        record["needs_native_review"] = True
    return record


def main() -> None:
    rng = random.Random(20240611)
    villages = villages_by_cercle()
    entries = eval_texts_a.ENTRIES + eval_texts_b.ENTRIES + eval_texts_c.ENTRIES
    records = [build_record(i, entry, villages, rng) for i, entry in enumerate(entries, 1)]
    dev = [r for i, r in enumerate(records) if i % 3 != 0]
    heldout = [r for i, r in enumerate(records) if i % 3 == 0]
    for name, part in (("eval_dev.jsonl", dev), ("eval_heldout.jsonl", heldout)):
        lines = [json.dumps(r, ensure_ascii=False) for r in part]
        (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(dev)} dev, {len(heldout)} held-out")


if __name__ == "__main__":
    main()
