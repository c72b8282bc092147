"""The `gateway classify` JSON-lines contract and the evaluation report."""
from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pytest

from workers.classification import CATEGORIES
from workers.evaluation import (classify_lines, evaluate_file, evaluate_records, format_report,
                                load_records)

DATA = Path(__file__).resolve().parent.parent / "data"
PLACE_KEYS = {"name", "level", "pcode", "region_pcode", "cercle_pcode"}


def run_lines(*lines: str) -> list[dict]:
    out = io.StringIO()
    classify_lines(io.StringIO("\n".join(lines) + "\n"), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_output_line_per_input_line():
    results = run_lines(json.dumps({"id": "r1", "text": "attaque des jihadistes a Boni, 3 morts"}),
                        json.dumps({"id": 7, "text": "bonjour"}))
    first, second = results
    assert first["id"] == "r1" and second["id"] == 7
    assert first["category"] == "violent_extremism" and first["urgency"] == "urgent"
    assert 0 <= first["confidence"] <= 1
    assert PLACE_KEYS <= set(first["places"][0])
    assert first["places"][0]["cercle_pcode"] == "ML0506"
    assert second["places"] == [] and second["category"] in CATEGORIES


CONTRACT_ERROR_CASES = [
    ("not json", "{oops", None),
    ("json but not an object", "[1, 2]", None),
    ("no text", json.dumps({"id": "x"}), "x"),
    ("text not a string", json.dumps({"id": "y", "text": 5}), "y"),
]


@pytest.mark.parametrize("label,line,expected_id", CONTRACT_ERROR_CASES,
                         ids=[c[0] for c in CONTRACT_ERROR_CASES])
def test_bad_lines_give_an_error_line_and_the_loop_goes_on(label, line, expected_id):
    error, after = run_lines(line, json.dumps({"id": "ok", "text": "greve a Kayes"}))
    assert error["id"] == expected_id and error["error"]
    assert after["id"] == "ok" and after["category"] == "civil_unrest"


def test_blank_lines_are_skipped_and_hint_is_used():
    results = run_lines("", json.dumps({"id": 1, "text": "vol a Doura", "hint_pcode": "ML0502"}))
    assert len(results) == 1
    assert results[0]["places"][0]["cercle_pcode"] == "ML0502"


def test_report_counts():
    records = [
        {"text": "les jihadistes ont attaque Boni", "category": "violent_extremism",
         "region_pcode": "ML05", "cercle_pcode": "ML0506"},
        {"text": "greve des enseignants", "category": "civil_unrest",
         "region_pcode": None, "cercle_pcode": None},
        {"text": "bonjour", "category": "border_security", "region_pcode": None,
         "cercle_pcode": None},
    ]
    report = evaluate_records(records)
    assert report.total == 3
    assert report.region_accuracy == 1.0 and report.cercle_accuracy == 1.0
    precision, recall, f1, support = report.per_category()["border_security"]
    assert (recall, f1, support) == (0.0, 0.0, 1)
    assert "macro-F1" in format_report(report)


def test_eval_set_is_well_formed():
    records = load_records(DATA / "eval_dev.jsonl") + load_records(DATA / "eval_heldout.jsonl")
    assert len(records) >= 300
    assert len({r["id"] for r in records}) == len(records)
    assert set(Counter(r["category"] for r in records)) == set(CATEGORIES)
    assert {r["lang"] for r in records} == {"fr", "en", "bm"}
    assert all(r.get("needs_native_review") for r in records if r["lang"] == "bm")


def test_held_out_set_accuracy_floor():
    """Accuracy floor on messages never used to tune the lexicons or the place rules.

    macro-F1 is held to the issue's target (0.85), place accuracy to the level reached
    (issue targets: region 0.95, cercle 0.90). The remaining misses are village names shared
    by places in several cercles, written with no other place and no last known area: those
    go to triage as ambiguous rather than being guessed.
    """
    report = evaluate_file(DATA / "eval_heldout.jsonl")
    assert report.macro_f1 >= 0.85, format_report(report)
    assert report.region_accuracy >= 0.95, format_report(report)
    assert report.cercle_accuracy >= 0.92, format_report(report)
    assert report.place_false_positives == 0, format_report(report)


def test_second_held_out_set_accuracy_floor():
    """Incident prose (ACLED-like English and French, some SMS) written after the notable
    localities and the area rules were built, and not used to tune them."""
    records = load_records(DATA / "eval_heldout2.jsonl")
    assert len(records) >= 80 and len({r["id"] for r in records}) == len(records)
    assert all(r["cercle_pcode"].startswith(r["region_pcode"])
               for r in records if r["cercle_pcode"])
    report = evaluate_records(records)
    assert report.macro_f1 >= 0.85, format_report(report)
    assert report.region_accuracy >= 0.97, format_report(report)
    assert report.cercle_accuracy >= 0.97, format_report(report)
    assert report.place_false_positives == 0, format_report(report)
