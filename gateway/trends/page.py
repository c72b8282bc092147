"""The trends page of the staff console, rendered on the server as an HTML fragment.

`render_trends_page(view)` returns a fragment (a <section>) for the console's layout to wrap;
`build_view` turns weekly count cells into what the page shows. Staff see exact counts here:
small-count masking applies to what leaves the console (exports, digests), not to staff.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Sequence

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gateway.categories import CATEGORIES, label
from gateway.trends import areas
from gateway.trends.cells import Cell, WarningRow, total
from gateway.trends.svg import bar_chart, choropleth, legend_classes
from gateway.trends.weeks import week_number

STRINGS = {
    "fr": {"title": "Tendances", "weeks": "semaines", "to": "jusqu'au", "generated": "calculé le",
           "by_category": "Par catégorie", "last_week": "semaine dernière", "this_week": "en cours",
           "map": "Carte", "last_n_weeks": "dernières semaines", "all": "toutes catégories",
           "regions": "Régions", "cercles": "Cercles", "unplaced": "signalements sans lieu reconnu",
           "warnings": "Alertes de tendance (30 jours)", "none": "Aucune.", "area": "Zone",
           "category": "Catégorie", "observed": "7 jours", "expected": "habituel", "forums": "Destinataires",
           "date": "Date", "rolling": "7 derniers jours", "export": "Exporter (CSV)", "export_hxl": "Exporter (CSV HXL)", "week_abbr": "S",
           "warned": "alerte", "nobody": "personne"},
    "en": {"title": "Trends", "weeks": "weeks", "to": "to", "generated": "computed",
           "by_category": "By category", "last_week": "last week", "this_week": "this week",
           "map": "Map", "last_n_weeks": "last weeks", "all": "all categories",
           "regions": "Regions", "cercles": "Cercles", "unplaced": "reports with no recognised place",
           "warnings": "Trend warnings (30 days)", "none": "None.", "area": "Area",
           "category": "Category", "observed": "7 days", "expected": "usual", "forums": "Sent to",
           "date": "Date", "rolling": "last 7 days", "export": "Export (CSV)", "export_hxl": "Export (HXL CSV)", "week_abbr": "W",
           "warned": "warning", "nobody": "nobody"},
}
_env = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class CategorySeries:
    category: str
    counts: tuple[int, ...]          # per week, oldest first; the last is the current, partial week
    warned: bool                     # a trend warning went out for it in the last 30 days
    last_7_days: int = 0             # the rolling window the early warning looks at

    @property
    def last_week(self) -> int:
        return self.counts[-2] if len(self.counts) > 1 else 0

    @property
    def change(self) -> int:
        return self.last_week - (self.counts[-3] if len(self.counts) > 2 else 0)


@dataclass(frozen=True)
class TrendsView:
    weeks: tuple[date, ...]                       # Mondays, oldest first; the last is the current week
    series: tuple[CategorySeries, ...]
    region_counts: dict[str, int]
    cercle_counts: dict[str, int]
    unplaced: int
    map_weeks: int
    category: str | None                          # the map's category filter; None = all
    warnings: tuple[WarningRow, ...]
    generated_at: datetime
    export_href: str = "trends.csv"               # relative: /staff/trends -> /staff/trends.csv
    lang: str = "fr"
    labels: dict[str, str] = field(default_factory=dict)   # category labels (the console's own); else the SMS ones


def build_view(cells: Sequence[Cell], weeks: Sequence[date], warnings: Sequence[WarningRow], *,
               now: datetime, rolling: Sequence[Cell] = (), category: str | None = None, map_weeks: int = 4,
               lang: str = "fr", labels: dict[str, str] | None = None) -> TrendsView:
    """`cells` bucketed by `weeks` (bucket i = weeks[i]); `rolling`: the last 7 days (bucket 0)."""
    by_week = total(cells, lambda c: (c.category, c.bucket))
    last_7_days = total(rolling, lambda c: c.category)
    warned = {w.category for w in warnings}
    series = tuple(CategorySeries(cat, tuple(by_week[(cat, i)] for i in range(len(weeks))), cat in warned,
                                  last_7_days[cat])
                   for cat in CATEGORIES)
    recent = [c for c in cells if c.bucket >= len(weeks) - map_weeks and category in (None, c.category)]
    return TrendsView(
        weeks=tuple(weeks), series=series, map_weeks=map_weeks, category=category,
        region_counts=dict(total(recent, lambda c: c.region_pcode)),
        cercle_counts=dict(total(recent, lambda c: c.cercle_pcode)),
        unplaced=sum(c.reports for c in recent if not c.region_pcode),
        warnings=tuple(warnings), generated_at=now, lang=lang if lang in STRINGS else "fr", labels=labels or {})


def render_trends_page(view: TrendsView) -> str:
    """The page as an HTML fragment (one <section>), with inline SVG charts and maps."""
    t = STRINGS[view.lang]
    abbr = t["week_abbr"]

    def name_of(category: str) -> str:
        return view.labels.get(category) or label(category, view.lang)

    charts = [(s, Markup(bar_chart(s.counts, title=f"{name_of(s.category)}: {', '.join(map(str, s.counts))}",
                                   first_label=f"{abbr}{week_number(view.weeks[0])}",
                                   last_label=f"{abbr}{week_number(view.weeks[-1])}")))
              for s in view.series]
    names = areas.names()
    regions, cercles = areas.shapes(1), areas.shapes(2)
    maps = (Markup(choropleth(regions, view.region_counts, names, title=t["regions"], labels=True)),
            Markup(choropleth(cercles, view.cercle_counts, names, title=t["cercles"], outline=regions)))
    return _env.get_template("trends.html").render(
        view=view, t=t, charts=charts, maps=maps, legend=legend_classes(), name=areas.name, label=name_of,
        categories=CATEGORIES, last_week=f"{abbr}{week_number(view.weeks[-2])}",
        this_week=f"{abbr}{week_number(view.weeks[-1])}")
