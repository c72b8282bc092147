"""Forums, working groups and their coordinators: read by all roles (coordinators: their own), edited by admins."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from gateway.categories import CATEGORIES
from gateway.errors import GatewayError
from gateway.forums_file import LANGUAGES, parse_forum_entry
from gateway.phone import normalise_number
from gateway.store.forum_edit import add_coordinator, all_forums, save_forum, update_coordinator
from gateway.web import params, runtime
from gateway.web.audit_trail import audit
from gateway.web.console import blueprint, requires


@blueprint.get("/forums")
def forums():
    with runtime().transaction() as db:
        rows = all_forums(db, None if g.viewer.sees_all_reports else g.viewer.forum_ids)
        audit(db, "forums.view")
        return render_template("console/forums.html", forums=rows)


@blueprint.route("/forums/new", methods=["GET", "POST"], defaults={"forum_id": None})
@blueprint.route("/forums/<forum_id>/edit", methods=["GET", "POST"])
@requires("can_edit")
def forum_edit(forum_id: str | None):
    with runtime().transaction() as db:
        forum = next(iter(all_forums(db, frozenset([forum_id]))), None) if forum_id else None
        if forum_id and forum is None:
            abort(404)
        if request.method == "POST":
            return _save_forum(db, forum_id)
        return _edit_page(forum, _values_of(forum))


NEW_FORUM = {"id": "", "name": "", "kind": "forum", "categories": [], "areas": [], "language": "fr",
             "ack_within_hours": 24}


def _values_of(forum) -> dict:
    return {key: getattr(forum, key) for key in NEW_FORUM} if forum is not None else dict(NEW_FORUM)


def _edit_page(forum, current: dict, error: str | None = None):
    return render_template("console/forum_edit.html", forum=forum, current=current, categories=CATEGORIES,
                           languages=LANGUAGES, error=error), 400 if error else 200


def _form_entry(forum_id: str | None) -> dict:
    form = request.form
    hours = form.get("ack_within_hours", "")
    return {"id": forum_id or params.text(form, "id"), "name": params.text(form, "name"),
            "kind": form.get("kind", "forum"), "categories": form.getlist("categories"),
            "areas": params.text(form, "areas").replace(",", " ").split(),
            "language": form.get("language", "fr"), "ack_within_hours": int(hours) if hours.isdigit() else hours}


def _save_forum(db, forum_id: str | None):
    entry = _form_entry(forum_id)
    forum = next(iter(all_forums(db, frozenset([forum_id]))), None) if forum_id else None
    try:
        spec = parse_forum_entry(entry)
    except GatewayError as exc:
        return _edit_page(forum, entry, str(exc))
    if forum_id is None and all_forums(db, frozenset([spec.id])):
        return _edit_page(None, entry, f"{spec.id}: exists already")
    changes = save_forum(db, spec, active=request.form.get("active", "1") == "1")
    audit(db, "forum.create" if forum_id is None else "forum.edit", target=spec.id, changes=changes)
    flash("saved")
    return redirect(url_for("console.forums"))


@blueprint.post("/forums/<forum_id>/coordinators")
@requires("can_edit")
def coordinator_add(forum_id: str):
    try:
        phone = normalise_number(params.text(request.form, "phone"), runtime().config.phone_region)
        name = params.text(request.form, "name")
        if not name:
            raise GatewayError("name")
        with runtime().transaction() as db:
            person = add_coordinator(db, forum_id, name=name, phone=phone, backup=bool(request.form.get("backup")))
            audit(db, "coordinator.create", target=f"{forum_id}/{person.id}", name=name,
                  backup=person.backup)
    except GatewayError:
        flash("coordinator_invalid")
        return redirect(url_for("console.forums"))
    flash("saved")
    return redirect(url_for("console.forums"))


@blueprint.post("/coordinators/<int:coordinator_id>")
@requires("can_edit")
def coordinator_update(coordinator_id: int):
    name = params.text(request.form, "name")
    if not name:
        abort(400)
    try:
        with runtime().transaction() as db:
            changes = update_coordinator(db, coordinator_id, name=name, backup=bool(request.form.get("backup")),
                                         active=bool(request.form.get("active")))
            audit(db, "coordinator.edit", target=str(coordinator_id), changes=changes)
    except GatewayError:
        abort(404)
    flash("saved")
    return redirect(url_for("console.forums"))
