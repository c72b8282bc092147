"""Recognise Malian regions and cercles named in a report (gazetteer in workers/data/).

A first, thin recogniser: folded single- and two-word names of regions and cercles.
Issue 4 extends it to communes and settlements, variants and ambiguity.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from workers.text import words

GAZETTEER = Path(__file__).resolve().parent.parent / "data" / "mali_gazetteer.csv"
LEVEL_ORDER = {"settlement": 0, "quartier": 1, "commune": 2, "cercle": 3, "district": 4, "region": 5}


@dataclass(frozen=True)
class Place:
    name: str
    level: str
    pcode: str
    region_pcode: str | None
    cercle_pcode: str | None
    commune_pcode: str | None


@dataclass(frozen=True)
class PlaceResult:
    places: tuple[Place, ...]
    ambiguous: tuple[tuple[str, tuple[Place, ...]], ...]


@lru_cache(maxsize=1)
def default_gazetteer() -> dict[str, Place]:
    index: dict[str, Place] = {}
    with GAZETTEER.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["level"] not in ("region", "district", "cercle") or not row["pcode"]:
                continue
            place = _place(row)
            for name in {row["name"], row["name_ascii"], *filter(None, row["variants"].split("|"))}:
                key = " ".join(words(name))
                known = index.get(key)   # Kayes is a region and a cercle: keep the more specific
                if known is None or LEVEL_ORDER[place.level] < LEVEL_ORDER[known.level]:
                    index[key] = place
    return index


def _place(row: dict) -> Place:
    pcode = row["pcode"]
    return Place(name=row["name"], level=row["level"], pcode=pcode, region_pcode=pcode[:4],
                 cercle_pcode=pcode[:6] if len(pcode) >= 6 else None, commune_pcode=None)


def recognise_places(text: str, hint_pcode: str | None = None) -> PlaceResult:
    index = default_gazetteer()
    tokens = words(text)
    found: dict[str, Place] = {}
    for size in (2, 1):
        for start in range(len(tokens) - size + 1):
            place = index.get(" ".join(tokens[start:start + size]))
            if place:
                found.setdefault(place.pcode, place)
    ordered = sorted(found.values(), key=lambda p: (LEVEL_ORDER[p.level], p.pcode))
    return PlaceResult(places=tuple(ordered), ambiguous=())
