"""Weekly counts as CSV, with or without an HXL hashtag row, for humanitarian partners.

One row per (ISO week, region, cercle, category) with at least one report. There are no
region or national total rows: a total beside its masked parts would give the masked
counts away by subtraction; partners add up the rows they need.
Counts of 1 or 2 are written "<3" (gateway.trends.disclosure), so the count column is
tagged #indicator+reports without +num: HXL's default schema requires +num values to be numbers
(libhxl's validator still warns that the column mixes numbers and "<3", which is the point).
HXL: https://hxlstandard.org/standard/1-1final/dictionary/ (dates as ISO 8601; 2026W45 is the
basic form of an ISO week, which HXL tools normalise weeks to).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from gateway.categories import label
from gateway.trends import areas
from gateway.trends.cells import Cell
from gateway.trends.disclosure import shown
from gateway.trends.weeks import week_label

COUNTRY = "MLI"
COLUMNS = (
    ("week", "#date+week"),
    ("week_start", "#date+start"),
    ("country_code", "#country+code"),
    ("adm1_code", "#adm1+code"),
    ("adm1_name", "#adm1+name"),
    ("adm2_code", "#adm2+code"),
    ("adm2_name", "#adm2+name"),
    ("category", "#event+type+code"),
    ("category_label", "#event+type+name"),
    ("reports", "#indicator+reports"),
)


@dataclass(frozen=True, order=True)
class ExportRow:
    week_start: date
    region_pcode: str
    cercle_pcode: str
    category: str
    reports: int


def weekly_rows(cells: Iterable[Cell], week_starts: list[date]) -> list[ExportRow]:
    """Cells of weekly buckets (bucket i = week_starts[i]) summed to region/cercle level."""
    sums: dict[tuple, int] = {}
    for cell in cells:
        key = (week_starts[cell.bucket], cell.region_pcode or "", cell.cercle_pcode or "", cell.category)
        sums[key] = sums.get(key, 0) + cell.reports
    return sorted(ExportRow(*key, reports) for key, reports in sums.items() if reports > 0)


def to_csv(rows: Iterable[ExportRow], *, hxl: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in COLUMNS])
    if hxl:
        writer.writerow([tag for _, tag in COLUMNS])
    for row in rows:
        writer.writerow(_values(row))
    return out.getvalue()


def _values(row: ExportRow) -> list[str]:
    return [week_label(row.week_start), row.week_start.isoformat(), COUNTRY,
            row.region_pcode, areas.name(row.region_pcode), row.cercle_pcode, areas.name(row.cercle_pcode),
            row.category, label(row.category, "en"), shown(row.reports)]
