"""The figures of a working group's weekly digest. Pure.

Counts in the group's categories and areas for one ISO week and the week before, the reports
still open (not closed) in them, and the busiest cercles when the group spans several.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

from gateway.trends.cells import Cell, in_areas, total
from gateway.trends.disclosure import SMALLEST_SHOWN

BUSIEST = 2


@dataclass(frozen=True)
class CategoryCount:
    category: str
    this_week: int
    last_week: int


@dataclass(frozen=True)
class DigestFigures:
    week_start: date
    areas: tuple[str, ...]                 # the group's areas ([] = all of Mali)
    lines: tuple[CategoryCount, ...]       # one per subscribed category, most reports first
    open_reports: int
    busiest: tuple[str, ...]               # cercle P-codes with the most reports (each >= 3)


def digest_figures(*, week_start: date, categories: Sequence[str], areas: Sequence[str],
                   week_cells: Iterable[Cell], open_cells: Iterable[Cell]) -> DigestFigures:
    """`week_cells`: bucket 0 is the week before `week_start`'s week, bucket 1 that week."""
    def mine(cells: Iterable[Cell]) -> list[Cell]:
        return [c for c in cells if c.category in categories and in_areas(c, areas)]

    cells = mine(week_cells)
    counts = total(cells, lambda c: (c.category, c.bucket))
    order = {category: index for index, category in enumerate(categories)}
    lines = sorted((CategoryCount(c, counts[(c, 1)], counts[(c, 0)]) for c in categories),
                   key=lambda line: (-line.this_week, order[line.category]))
    by_cercle = total([c for c in cells if c.bucket == 1], lambda c: c.cercle_pcode)
    busiest = tuple(p for p, n in by_cercle.most_common(BUSIEST) if n >= SMALLEST_SHOWN) \
        if len(by_cercle) > 1 else ()
    open_reports = sum(c.reports for c in mine(open_cells))
    return DigestFigures(week_start, tuple(areas), tuple(lines), open_reports, busiest)
