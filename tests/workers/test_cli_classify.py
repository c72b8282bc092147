"""`gateway classify` and `gateway eval` as other tools call them (DESIGN §3)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.test_cli_walkthrough import GATEWAY

ROOT = Path(__file__).resolve().parents[2]
PLACE_KEYS = {"name", "level", "pcode", "region_pcode", "cercle_pcode"}


def test_classify_answers_one_json_line_per_input_line():
    lines = [json.dumps({"id": "a", "text": "Des jihadistes ont attaque Boni, 3 morts"}), "not json",
             json.dumps({"id": 7, "text": "Conflit sur le site d'orpaillage de Kenieba"})]
    result = subprocess.run([GATEWAY, "classify"], input="\n".join(lines) + "\n", capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["id"] for a in answers] == ["a", None, 7]
    first, bad, last = answers
    assert {"category", "confidence", "urgency", "places"} <= set(first)
    assert first["category"] == "violent_extremism" and first["urgency"] == "urgent"
    assert PLACE_KEYS <= set(first["places"][0]) and first["places"][0]["region_pcode"] == "ML05"
    assert "error" in bad
    assert last["category"] == "resource_conflict" and last["places"][0]["cercle_pcode"] == "ML0104"


def test_eval_prints_the_metrics():
    result = subprocess.run([GATEWAY, "eval", "tests/data/eval_heldout.jsonl"], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for needle in ("macro-F1", "region accuracy", "cercle accuracy", "violent_extremism"):
        assert needle in result.stdout
