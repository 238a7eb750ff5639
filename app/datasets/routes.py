"""Dataset pages: list, upload, detail (info, versions, filtered preview), row editing, subset rename, export."""
from __future__ import annotations

from flask import current_app, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.forms import EmptyForm
from app.datasets import bp
from app.datasets.forms import RenameSubsetForm, RowForm, UploadForm
from app.extensions import db
from app.services import ownership
from app.services.datasets import catalog, export, rows, store, validate, versions
from app.urls import safe_next

PREVIEW_PER_PAGE = 25


@bp.url_defaults
def keep_dataset_id(endpoint: str, values: dict) -> None:
    """Links from a dataset's page to its own pages (pagination, filters) keep its id."""
    current = (request.view_args or {}).get("dataset_id") if has_request_context() else None
    if current is not None and "dataset_id" not in values \
            and current_app.url_map.is_endpoint_expecting(endpoint, "dataset_id"):
        values["dataset_id"] = current


@bp.route("/")
@login_required
def index():
    q = request.args.get("q", "").strip()
    page = db.paginate(catalog.search(current_user, q), per_page=current_app.config["PER_PAGE"])
    return render_template("datasets/index.html", page=page, q=q)


def _render_upload(form: UploadForm, problems: validate.UploadInvalid | None = None, status: int = 200):
    return render_template("datasets/upload.html", form=form, problems=problems,
                           max_mb=current_app.config["MAX_UPLOAD_MB"]), status


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_upload(form, status=400 if request.method == "POST" else 200)
    system = bool(form.system.data) and current_user.is_admin
    try:
        dataset = store.create_from_file(None if system else current_user, current_user, name=form.name.data,
                                         fmt=form.format.data, description=form.description.data or "",
                                         stream=form.file.data.stream, filename=form.file.data.filename or "",
                                         mapping=form.mapping())
    except catalog.DatasetError as exc:
        getattr(form, exc.field if exc.field in ("name", "format") else "name").errors.append(str(exc))
        return _render_upload(form, status=422)
    except validate.UploadInvalid as exc:
        return _render_upload(form, problems=exc, status=422)
    flash(_("Dataset %(name)s uploaded: %(n)d rows.", name=dataset.name, n=dataset.row_count), "success")
    return redirect(url_for("datasets.detail", dataset_id=dataset.id))


@bp.app_errorhandler(413)
def too_large(error):
    """A request body over ``EVALHUB_MAX_UPLOAD_MB``: a clear message, on the upload form or as JSON."""
    message = _("The file is larger than the upload limit of %(n)d MB.", n=current_app.config["MAX_UPLOAD_MB"])
    if request.path.startswith("/api/"):
        from app.api.errors import error_response
        return error_response(413, "too_large", message)
    if request.blueprint == "datasets":
        problems = validate.UploadInvalid([message])
        return _render_upload(UploadForm(formdata=None), problems=problems, status=413)
    error.description = message
    return render_template("errors/generic.html", error=error), 413


@bp.route("/<int:dataset_id>")
@login_required
def detail(dataset_id: int):
    dataset = catalog.get_visible(current_user, dataset_id)
    version = catalog.version_of(dataset, request.args.get("version", type=int))
    filters = {k: request.args.get(k, "").strip() for k in ("subset", "split", "q")}
    page = rows.preview(dataset.id, version.version, version.info, subset=filters["subset"] or None,
                        split=filters["split"] or None, q=filters["q"] or None,
                        page=request.args.get("page", 1, type=int), per_page=PREVIEW_PER_PAGE)
    editable = ownership.can_edit(dataset, current_user) and version.version == dataset.current_version
    return render_template("datasets/detail.html", dataset=dataset, version=version, page=page, filters=filters,
                           versions=catalog.versions(dataset), editable=editable,
                           can_edit=ownership.can_edit(dataset, current_user),
                           rename_form=RenameSubsetForm(formdata=None))


def _back(dataset_id: int, target: str | None):
    return redirect(safe_next(target) if target else url_for("datasets.detail", dataset_id=dataset_id))


def _row_form(dataset, row=None):
    """Add (``row`` None) or edit a row; on success back to where the user came from."""
    form = RowForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if row is not None:
            form.fill(row.record())
        else:
            form.subset.data, form.split.data = _first_names(dataset)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            if row is None:
                saved = versions.add_row(dataset, form.values(dataset.format), current_user)
            else:
                saved = versions.edit_row(dataset, row.id, form.values(dataset.format), current_user)
        except catalog.DatasetError as exc:
            flash(str(exc), "error")
            status = exc.status
        else:
            if row is not None and saved.id == row.id:
                flash(_("Nothing changed."), "info")
            else:
                flash(_("Row %(id)s saved in version %(v)d.", id=saved.row_key, v=dataset.current_version),
                      "success")
            return _back(dataset.id, form.next.data)
    back = safe_next(form.next.data) if form.next.data else url_for("datasets.detail", dataset_id=dataset.id)
    return render_template("datasets/row_form.html", dataset=dataset, form=form, row=row, back=back), status


def _first_names(dataset) -> tuple[str, str]:
    info = dataset.dataset_info or {}
    return next(iter(info.get("subsets", {})), "default"), next(iter(info.get("splits", {})), "test")


@bp.route("/<int:dataset_id>/rows/new", methods=["GET", "POST"])
@login_required
def add_row(dataset_id: int):
    return _row_form(catalog.get_editable(current_user, dataset_id))


@bp.route("/<int:dataset_id>/rows/<int:row_id>/edit", methods=["GET", "POST"])
@login_required
def edit_row(dataset_id: int, row_id: int):
    dataset = catalog.get_editable(current_user, dataset_id)
    row = rows.row_of(dataset, row_id)
    if row.valid_to is not None:
        flash(str(versions.RowConflict()), "error")
        return _back(dataset.id, None)
    return _row_form(dataset, row)


@bp.route("/<int:dataset_id>/rows/<int:row_id>/delete", methods=["POST"])
@login_required
def delete_row(dataset_id: int, row_id: int):
    dataset = catalog.get_editable(current_user, dataset_id)
    if EmptyForm().validate_on_submit():
        try:
            version = versions.delete_row(dataset, row_id, current_user)
        except catalog.DatasetError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Row deleted; this is version %(v)d.", v=version), "success")
    return _back(dataset.id, request.form.get("next"))


@bp.route("/<int:dataset_id>/subsets/rename", methods=["POST"])
@login_required
def rename_subset(dataset_id: int):
    dataset = catalog.get_editable(current_user, dataset_id)
    form = RenameSubsetForm()
    if form.validate_on_submit():
        try:
            versions.rename_subset(dataset, form.old.data, form.new.data, current_user)
        except catalog.DatasetError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Subset %(old)s renamed to %(new)s.", old=form.old.data, new=form.new.data.strip()), "success")
    else:
        flash(_("Give the subset a new name."), "error")
    return _back(dataset.id, None)


@bp.route("/<int:dataset_id>/delete", methods=["POST"])
@login_required
def delete(dataset_id: int):
    dataset = catalog.get_editable(current_user, dataset_id)
    if EmptyForm().validate_on_submit():
        catalog.delete(dataset, current_user)
        flash(_("Dataset %(name)s deleted.", name=dataset.name), "success")
        return redirect(url_for("datasets.index"))
    return _back(dataset.id, None)


@bp.route("/<int:dataset_id>/export")
@login_required
def export_version(dataset_id: int):
    dataset = catalog.get_visible(current_user, dataset_id)
    return export.download(dataset, request.args.get("version", type=int), request.args.get("format", "jsonl"))
