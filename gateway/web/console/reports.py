"""Report queue, report detail with its timeline, triage corrections and number reveals."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from gateway import areas
from gateway.categories import CATEGORIES
from gateway.masking import reporter_display
from gateway.store.corrections import Correction, correct_report
from gateway.store.report_detail import report_detail
from gateway.store.report_queue import STATUSES, visible_report
from gateway.web import params, runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint, requires
from gateway.web.listing import listed_reports, next_cursor

PAGE_SIZE = 50
MIN_REASON = 10


@blueprint.get("/reports")
def reports():
    filters, rows, forums = listed_reports(PAGE_SIZE)
    cursor = next_cursor(rows, PAGE_SIZE)
    next_args = params.query_args(filters.as_dict(), cursor) if cursor else None
    return render_template("console/reports.html", rows=rows, filters=filters, forums=forums,
                           categories=CATEGORIES, statuses=STATUSES, regions=areas.regions(),
                           place_label=areas.place_label, next_args=next_args,
                           first_args=params.query_args(filters.as_dict()))


def _report_or_404(db, reference: str):
    """The same 404 for an unknown reference and for another forum's report: no existence oracle."""
    report = visible_report(db, g.viewer, reference)
    if report is None:
        audit(db, "report.view_refused", target=reference[:20])
    return report


def _render_detail(db, report, revealed: str | None = None):
    detail = report_detail(db, report)
    alias, masked = reporter_display(runtime().pseudonymiser, detail.reporter_pseudonym,
                                     detail.reporter_number_encrypted)
    return render_template("console/report.html", detail=detail, report=report, alias=alias, masked=masked,
                           revealed=revealed, categories=CATEGORIES, regions=areas.regions(),
                           place_label=areas.place_label)


@blueprint.get("/reports/<reference>")
def report(reference: str):
    with runtime().transaction() as db:
        found = _report_or_404(db, reference)
        if found is not None:
            audit(db, "report.view", target=found.reference)
            return _render_detail(db, found)
    abort(404)


@blueprint.post("/reports/<reference>/triage")
@requires("can_edit")
def triage(reference: str):
    category = params.choice(request.form, "category", CATEGORIES)
    place = params.choice(request.form, "place", areas.names())
    if not category:
        abort(400)
    note = params.text(request.form, "note")
    with runtime().transaction() as db:
        found = _report_or_404(db, reference)
        if found is None:
            abort(404)
        # no place field: keep the place; an empty one: the place is unknown
        region, cercle = areas.split_place(place) if "place" in request.form else (found.region_pcode,
                                                                                  found.cercle_pcode)
        row = correct_report(db, found, Correction(category, region, cercle, note), staff_id=g.viewer.staff_id,
                             now=runtime().now())
        if row is not None:
            audit(db, "report.correct", target=found.reference, note=note,
                  category=[row.old_category, row.new_category],
                  region=[row.old_region_pcode, row.new_region_pcode],
                  cercle=[row.old_cercle_pcode, row.new_cercle_pcode])
    if row is not None:       # after commit: the forums the corrected report concerns are alerted
        runtime().queues.enqueue_reroute(found.id, row.id)
    flash("correction_saved" if row is not None else "nothing_changed")
    return redirect(url_for("console.report", reference=found.reference))


@blueprint.post("/reports/<reference>/reveal")
@requires("can_reveal")
def reveal(reference: str):
    """Show the clear number once, on this response only, for a written reason that is audited."""
    reason = params.text(request.form, "reason")
    if len(reason) < MIN_REASON:
        flash("reveal_reason_needed")
        return redirect(url_for("console.report", reference=reference))
    with runtime().transaction() as db:
        found = _report_or_404(db, reference)
        if found is None:
            abort(404)
        number = _clear_number(db, found)
        audit(db, "reporter.reveal", target=found.reference, reason=reason, found=number is not None)
        return _render_detail(db, found, revealed=number or "")


def _clear_number(db, report) -> str | None:
    detail = report_detail(db, report)
    if not detail.reporter_number_encrypted:
        return None
    return runtime().pseudonymiser.decrypt(detail.reporter_number_encrypted)
