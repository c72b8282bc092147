"""Trends and early warning (issue 7) behind the console's login: the page and its export.

Counts only, never text or reporters. The export is shared outside staff, so counts of 1
and 2 are masked as "<3" there (gateway.trends.export); staff see exact counts on the page.
"""
from __future__ import annotations

from flask import Response, g, render_template, request
from markupsafe import Markup

from gateway.categories import CATEGORIES
from gateway.trends.service import MAX_WEEKS, PAGE_WEEKS, trends_csv, trends_page
from gateway.web import runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint
from gateway.web.console.strings import translate


@blueprint.get("/trends")
def trends():
    category = request.args.get("category")
    category = category if category in CATEGORIES else None
    labels = {code: translate(g.lang, "cat_" + code) for code in CATEGORIES}
    with runtime().transaction() as db:
        fragment = trends_page(db, runtime().now(), category=category, lang=g.lang, labels=labels)
        audit(db, "trends.view", category=category)
    return render_template("console/trends.html", fragment=Markup(fragment))


@blueprint.get("/trends.csv")
def trends_export():
    hxl = request.args.get("hxl") == "1"
    weeks = min(max(request.args.get("weeks", PAGE_WEEKS, type=int) or PAGE_WEEKS, 1), MAX_WEEKS)
    with runtime().transaction() as db:
        text = trends_csv(db, runtime().now(), weeks=weeks, hxl=hxl)
        audit(db, "trends.export", hxl=hxl, weeks=weeks)
    name = "trends-hxl.csv" if hxl else "trends.csv"
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"})
