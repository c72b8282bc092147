"""Regions and cercles of Mali (2015 P-codes) by name, for staff filters and corrections.

Read from the USSD menus' generated areas list (menus/areas.yaml), so the console, the
menus and the routing rules all speak the same P-codes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

import menus

AREAS_FILE = Path(menus.__file__).resolve().parent / "areas.yaml"


@dataclass(frozen=True)
class Region:
    pcode: str
    name: str
    cercles: tuple[tuple[str, str], ...]      # (pcode, name)


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    data = yaml.safe_load(AREAS_FILE.read_text(encoding="utf-8"))
    return tuple(Region(r["pcode"], r["name"], tuple((c["pcode"], c["name"]) for c in r.get("cercles") or ()))
                 for r in data["regions"])


@lru_cache(maxsize=1)
def names() -> dict[str, str]:
    """P-code -> name for every region and cercle."""
    table = {}
    for region in regions():
        table[region.pcode] = region.name
        table.update(region.cercles)
    return table


def place_label(region_pcode: str | None, cercle_pcode: str | None) -> str:
    table = names()
    if cercle_pcode:
        return f"{table.get(cercle_pcode, cercle_pcode)} ({table.get(region_pcode or '', region_pcode or '')})"
    return table.get(region_pcode, region_pcode) if region_pcode else ""


def split_place(pcode: str) -> tuple[str | None, str | None]:
    """A chosen region or cercle P-code -> (region, cercle)."""
    if not pcode:
        return None, None
    return pcode[:4], (pcode if len(pcode) > 4 else None)
