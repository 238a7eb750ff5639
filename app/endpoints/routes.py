"""Model registry: list, create, edit, delete, test connection."""
from __future__ import annotations

import json

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.forms import EmptyForm
from app.endpoints import bp
from app.endpoints.forms import ModelForm
from app.extensions import db
from app.services import endpoint_check, endpoints, ownership
from app.urls import safe_next


@bp.route("/")
@login_required
def index():
    q = request.args.get("q", "").strip()
    page = db.paginate(endpoints.search(current_user, q), per_page=current_app.config["PER_PAGE"])
    return render_template("models/index.html", page=page, q=q, can_edit=ownership.can_edit)


def _save(form: ModelForm, endpoint=None):
    """Validate through the service; on failure put each message on its field. Returns the model or None."""
    try:
        if endpoint is None:
            system = bool(form.system.data) and current_user.is_admin
            return endpoints.create(current_user, form.values(keep_key=False), system=system)
        return endpoints.update(endpoint, form.values(keep_key=True), current_user)
    except endpoints.EndpointInvalid as exc:
        for field, message in exc.errors.items():
            getattr(form, field).errors.append(message)
        return None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = ModelForm()
    if form.validate_on_submit():
        endpoint = _save(form)
        if endpoint is not None:
            flash(_("Model %(name)s saved. Test its connection now.", name=endpoint.name), "success")
            return redirect(url_for("models.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("models/form.html", form=form, endpoint=None), status


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
@login_required
def edit(endpoint_id: int):
    endpoint = endpoints.get_editable(current_user, endpoint_id)
    form = ModelForm(obj=endpoint if request.method == "GET" else None)
    if request.method == "GET":
        form.api_key.data = ""
        form.extra_body.data = json.dumps(endpoint.extra_body) if endpoint.extra_body else ""
    if form.validate_on_submit() and _save(form, endpoint) is not None:
        flash(_("Model %(name)s saved.", name=endpoint.name), "success")
        return redirect(url_for("models.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("models/form.html", form=form, endpoint=endpoint), status


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@login_required
def delete(endpoint_id: int):
    endpoint = endpoints.get_editable(current_user, endpoint_id)
    if EmptyForm().validate_on_submit():
        endpoints.delete(endpoint, current_user)
        flash(_("Model %(name)s deleted. Chats and evaluations that used it keep its name.", name=endpoint.name),
              "success")
    return redirect(url_for("models.index"))


@bp.route("/<int:endpoint_id>/check", methods=["POST"])
@login_required
def check(endpoint_id: int):
    endpoint = endpoints.get_visible(current_user, endpoint_id)
    if EmptyForm().validate_on_submit():
        result = endpoint_check.run_check(endpoint)
        flash(f"{endpoint.name}: {result.message}", "success" if result.ok else "error")
    return redirect(safe_next(request.form.get("next"), "models.index"))
