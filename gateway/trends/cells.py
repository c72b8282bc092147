"""The de-identified unit every trend is built from: a count of reports in a cell.

A cell is (time bucket, category, place). Place P-codes nest by prefix (region ML04 ⊃ cercle
ML0405 ⊃ commune ML040501), so "is this cell in an area" is a prefix test on its most specific
P-code.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Hashable, Iterable


@dataclass(frozen=True)
class Cell:
    bucket: int                  # index of the time bucket the counts fall in
    category: str
    region_pcode: str | None
    cercle_pcode: str | None
    commune_pcode: str | None
    reports: int
    reporters: int | None        # distinct reporters (one person repeating counts once); None if not counted

    @property
    def pcode(self) -> str | None:
        """The most specific P-code known for these reports."""
        return self.commune_pcode or self.cercle_pcode or self.region_pcode


def in_areas(cell: Cell, areas: Iterable[str]) -> bool:
    """True when the cell lies in one of the areas; no areas at all means all of Mali."""
    areas = tuple(areas)
    if not areas:
        return True
    return cell.pcode is not None and any(cell.pcode.startswith(area) for area in areas)


def total(cells: Iterable[Cell], key: Callable[[Cell], Hashable], measure: str = "reports") -> Counter:
    """Sum a measure of the cells by key; cells whose key is None are left out."""
    sums: Counter = Counter()
    for cell in cells:
        k = key(cell)
        if k is not None:
            sums[k] += getattr(cell, measure)
    return sums


@dataclass(frozen=True)
class WarningRow:
    """A trend warning as staff see it: counts and who was told, no report in it."""
    category: str
    area_pcode: str
    observed: int
    expected: float
    forum_ids: tuple[str, ...]
    created_at: datetime
