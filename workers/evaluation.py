"""Batch classification (`gateway classify`) and evaluation (`gateway eval FILE`).

Input of classify_lines, one JSON object a line:   {"id": "r1", "text": "attaque a Boni"}
Output, one line each:
    {"id": "r1", "category": "violent_extremism", "confidence": 0.6, "urgency": "normal",
     "places": [{"name": "Boni", "level": "settlement", "pcode": "ML050608000",
                 "region_pcode": "ML05", "cercle_pcode": "ML0506"}], ...}
A line that is not a JSON object with a text gives {"id": null, "error": "..."}; the loop goes on.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from workers.classification import CATEGORIES, classify
from workers.places import Place, recognise_places


def analyse(text: str, hint_pcode: str | None = None) -> dict[str, Any]:
    """Classification and places of one text as a JSON-ready dict (the classify contract)."""
    result = classify(text)
    places = recognise_places(text, hint_pcode)
    return {"category": result.category, "confidence": result.confidence,
            "urgency": result.urgency, "places": [_place_json(p) for p in places.places],
            "alternatives": [list(alt) for alt in result.alternatives],
            "urgency_signals": list(result.urgency_signals),
            "ambiguous": [{"name": name, "candidates": [_place_json(p) for p in candidates]}
                          for name, candidates in places.ambiguous]}


def _place_json(place: Place) -> dict[str, Any]:
    return {"name": place.name, "level": place.level, "pcode": place.pcode,
            "region_pcode": place.region_pcode, "cercle_pcode": place.cercle_pcode,
            "commune_pcode": place.commune_pcode}


def classify_lines(stdin: IO[str], stdout: IO[str]) -> int:
    """Read {"id","text"} lines, write one result line each. Returns the number of errors."""
    errors = 0
    for line in stdin:
        if not line.strip():
            continue
        output = _classify_line(line)
        errors += "error" in output
        stdout.write(json.dumps(output, ensure_ascii=False) + "\n")
    stdout.flush()
    return errors


def _classify_line(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"invalid JSON: {exc.msg}"}
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        record_id = record.get("id") if isinstance(record, dict) else None
        return {"id": record_id, "error": "expected an object with a string 'text'"}
    hint = record.get("hint_pcode") if isinstance(record.get("hint_pcode"), str) else None
    return {"id": record.get("id"), **analyse(record["text"], hint)}


# ---- evaluation --------------------------------------------------------------------------


@dataclass
class Report:
    """Scores of a labelled file: per-category P/R/F1, macro-F1 and place accuracy."""
    total: int = 0
    confusion: Counter = field(default_factory=Counter)  # (gold, predicted) -> count
    region: Counter = field(default_factory=Counter)     # "right"/"total"
    cercle: Counter = field(default_factory=Counter)
    place_false_positives: int = 0  # messages without a labelled place where one was found
    unlabelled_places: int = 0      # messages without a labelled place
    left_ambiguous: int = 0         # labelled messages whose place went to triage as ambiguous

    def per_category(self) -> dict[str, tuple[float, float, float, int]]:
        return {c: _precision_recall_f1(self.confusion, c) for c in self._categories()}

    def _categories(self) -> list[str]:
        seen = {gold for gold, _ in self.confusion}
        return [c for c in CATEGORIES if c in seen]

    @property
    def macro_f1(self) -> float:
        scores = [f1 for _, _, f1, _ in self.per_category().values()]
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def accuracy(self) -> float:
        right = sum(n for (gold, predicted), n in self.confusion.items() if gold == predicted)
        return right / self.total if self.total else 0.0

    @property
    def region_accuracy(self) -> float:
        return _ratio(self.region)

    @property
    def cercle_accuracy(self) -> float:
        return _ratio(self.cercle)

    @property
    def place_false_positive_rate(self) -> float:
        return self.place_false_positives / self.unlabelled_places if self.unlabelled_places else 0.0


def _ratio(counts: Counter) -> float:
    return counts["right"] / counts["total"] if counts["total"] else 0.0


def _precision_recall_f1(confusion: Counter, category: str) -> tuple[float, float, float, int]:
    true_pos = confusion[(category, category)]
    predicted = sum(n for (_, p), n in confusion.items() if p == category)
    support = sum(n for (g, _), n in confusion.items() if g == category)
    precision = true_pos / predicted if predicted else 0.0
    recall = true_pos / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, support


def evaluate_records(records: list[dict[str, Any]]) -> Report:
    report = Report()
    for record in records:
        result = analyse(record["text"], record.get("hint_pcode"))
        report.total += 1
        report.confusion[(record["category"], result["category"])] += 1
        _score_places(report, record, result["places"], result["ambiguous"])
    return report


def _score_places(report: Report, record: dict, places: list[dict], ambiguous: list) -> None:
    region, cercle = predicted_area(places, ambiguous)
    report.left_ambiguous += bool(record.get("region_pcode") and ambiguous and not places)
    if record.get("region_pcode"):
        report.region["total"] += 1
        report.region["right"] += region == record["region_pcode"]
    if record.get("cercle_pcode"):
        report.cercle["total"] += 1
        report.cercle["right"] += cercle == record["cercle_pcode"]
    if not record.get("region_pcode") and not record.get("cercle_pcode"):
        report.unlabelled_places += 1
        report.place_false_positives += bool(places)


def predicted_area(places: list[dict], ambiguous: list) -> tuple[str | None, str | None]:
    """Region and cercle of the most specific place; if only an ambiguous name was found, the
    area all its candidates share (49 villages called Madina may still share one region)."""
    if places:
        return places[0]["region_pcode"], places[0]["cercle_pcode"]
    for entry in ambiguous:
        regions = {c["region_pcode"] for c in entry["candidates"]}
        cercles = {c["cercle_pcode"] for c in entry["candidates"]}
        return (regions.pop() if len(regions) == 1 else None,
                cercles.pop() if len(cercles) == 1 else None)
    return None, None


def load_records(path: str | Path) -> list[dict[str, Any]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def evaluate_file(path: str | Path) -> Report:
    return evaluate_records(load_records(path))


def format_report(report: Report) -> str:
    """A markdown table for `gateway eval`."""
    lines = ["| category | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for category, (p, r, f1, support) in report.per_category().items():
        lines.append(f"| {category} | {p:.3f} | {r:.3f} | {f1:.3f} | {support} |")
    lines += ["", f"messages: {report.total}  accuracy: {report.accuracy:.3f}  "
                  f"macro-F1: {report.macro_f1:.3f}",
              f"region accuracy: {report.region_accuracy:.3f} (n={report.region['total']})  "
              f"cercle accuracy: {report.cercle_accuracy:.3f} (n={report.cercle['total']})",
              f"place false positives: {report.place_false_positives}/"
              f"{report.unlabelled_places} messages without a labelled place",
              f"names left ambiguous (sent to triage): {report.left_ambiguous}"]
    return "\n".join(lines)
