"""Names and shapes of Mali's regions and cercles (OCHA COD-AB 2015 P-codes; data/PROVENANCE.md)."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
REGION_CHARS = 4          # ML04
CERCLE_CHARS = 6          # ML0405

Ring = tuple[tuple[float, float], ...]      # (lon, lat) pairs


@dataclass(frozen=True)
class Shape:
    pcode: str
    rings: tuple[Ring, ...]


@lru_cache(maxsize=1)
def names() -> dict[str, str]:
    with (DATA / "admin_names.csv").open(encoding="utf-8") as handle:
        return {row["pcode"]: row["name"] for row in csv.DictReader(handle)}


def name(pcode: str | None) -> str:
    """The French name of a region or cercle; the P-code itself when unknown; '' for None."""
    if not pcode:
        return ""
    return names().get(pcode, pcode)


def level(pcode: str) -> str:
    return "region" if len(pcode) <= REGION_CHARS else "cercle" if len(pcode) <= CERCLE_CHARS else "commune"


@lru_cache(maxsize=2)
def shapes(admin_level: int) -> tuple[Shape, ...]:
    """Regions (1) or cercles (2) as polygons, from the simplified boundary files."""
    key = "region_pcode" if admin_level == 1 else "cercle_pcode"
    collection = json.loads((DATA / f"mali_admin{admin_level}.geojson").read_text(encoding="utf-8"))
    return tuple(Shape(feature["properties"][key], _rings(feature["geometry"]))
                 for feature in collection["features"])


def _rings(geometry: dict) -> tuple[Ring, ...]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return tuple(tuple((lon, lat) for lon, lat, *_ in ring) for polygon in polygons for ring in polygon)
