"""What the console's routes and the CLI call: store queries in, export text or page HTML out.

LEAD, after the staff console merges — mount these behind its login (DESIGN §3: /staff/trends and
/staff/trends.csv), e.g. in gateway/web/console/trends.py:

    @blueprint.get("/trends")
    def trends():
        with runtime().transaction() as db:
            fragment = trends_page(db, runtime().now(), category=request.args.get("category"), lang=g.lang,
                                   labels={c: translate(g.lang, "cat_" + c) for c in CATEGORIES})
        return render_template("console/trends.html", fragment=Markup(fragment))  # {{ fragment }} in base.html

    @blueprint.get("/trends.csv")
    def trends_export():
        hxl = request.args.get("hxl") == "1"
        with runtime().transaction() as db:
            text = trends_csv(db, runtime().now(), weeks=request.args.get("weeks", 12, type=int), hxl=hxl)
            # an export is a staff read: append it to the audit log here
        return Response(text, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=trends.csv"})

The page's links are relative (`?category=…`, `trends.csv`, `trends.csv?hxl=1`), so they work there.
Until then the page is only mounted on a temporary blueprint in tests/trends/test_page.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gateway.categories import CATEGORIES
from gateway.store.trends import bucket_counts, recent_warnings
from gateway.trends.export import to_csv, weekly_rows
from gateway.trends.page import build_view, render_trends_page
from gateway.trends.weeks import completed_weeks, rolling_edges, week_edges, weeks_to_now

PAGE_WEEKS = 12
MAX_WEEKS = 520          # ten years: an upper bound for a query parameter


def trends_csv(session: Session, now: datetime, *, weeks: int = PAGE_WEEKS, hxl: bool = False) -> str:
    """Whole ISO weeks before the current one, small counts masked (CSV, or HXL-tagged CSV)."""
    starts = completed_weeks(now, _bounded(weeks, least=1))
    return to_csv(weekly_rows(bucket_counts(session, week_edges(starts)), starts), hxl=hxl)


def trends_page(session: Session, now: datetime, *, category: str | None = None, weeks: int = PAGE_WEEKS,
                lang: str = "fr", labels: dict[str, str] | None = None) -> str:
    """The trends page fragment: `weeks` weeks up to now; an unknown category shows all."""
    starts = weeks_to_now(now, _bounded(weeks, least=3))    # this week, last week and the one before
    cells = bucket_counts(session, week_edges(starts))
    rolling = bucket_counts(session, rolling_edges(now, 1))
    warnings = recent_warnings(session, now - timedelta(days=30))
    view = build_view(cells, starts, warnings, now=now, rolling=rolling, lang=lang, labels=labels,
                      category=category if category in CATEGORIES else None)
    return render_trends_page(view)


def _bounded(weeks: int, *, least: int) -> int:
    return min(max(int(weeks), least), MAX_WEEKS)
