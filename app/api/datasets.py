"""API: datasets — list, read, upload, rows (paginated, filtered), row add / edit / delete, subset rename, export."""
from __future__ import annotations

from flask import g, jsonify, request

from app.api import bp
from app.api.errors import ApiError
from app.api.datasets_spec import openapi_paths
from app.api.openapi import add_paths
from app.extensions import db
from app.services.datasets import catalog, export, rows, store, validate, versions
from app.services.datasets.formats import MAPPABLE, Mapping

EDITABLE = ("id", "subset", "split", "question", *"ABCDEFGHIJ", "answer", "explanation", "system", "context",
            "alternatives")


def dataset_json(d, full: bool = False) -> dict:
    body = {"id": d.id, "name": d.name, "format": d.format, "description": d.description, "system": d.is_system,
            "owner": d.owner.username if d.owner else None, "current_version": d.current_version,
            "rows": d.row_count, "dataset_info": d.dataset_info, "source": d.source, "license": d.license,
            "url": d.url, "created_at": d.created_at.isoformat(), "updated_at": d.updated_at.isoformat()}
    if full:
        body["versions"] = [{"version": v.version, "note": v.note, "rows": v.info.get("rows", 0),
                             "author": v.author.username if v.author else None,
                             "created_at": v.created_at.isoformat()} for v in catalog.versions(d)]
    return body


def row_json(row) -> dict:
    """``row_id`` addresses the row in edit/delete calls (an edit gives the new row a new ``row_id``)."""
    return {"row_id": row.id, "position": row.position, **row.record()}


def _paging(default: int = 50) -> tuple[int, int]:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    return page, min(200, max(1, request.args.get("per_page", default, type=int) or default))


def _raise(exc: catalog.DatasetError):
    code = {404: "not_found", 409: "conflict"}.get(exc.status, "invalid")
    raise ApiError(exc.status, code, str(exc), {exc.field: [str(exc)]} if exc.field else None) from exc


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "Send a JSON object.")
    return body


@bp.route("/datasets")
def list_datasets():
    page, per_page = _paging(25)
    result = db.paginate(catalog.search(g.api_user, request.args.get("q", "").strip()), page=page,
                         per_page=per_page, error_out=False)
    return jsonify({"items": [dataset_json(d) for d in result.items], "page": result.page,
                    "pages": result.pages, "per_page": per_page, "total": result.total})


@bp.route("/datasets/<int:dataset_id>")
def get_dataset(dataset_id: int):
    return jsonify(dataset_json(catalog.get_visible(g.api_user, dataset_id), full=True))


@bp.route("/datasets", methods=["POST"])
def upload_dataset():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(422, "invalid", "A file is required (multipart field 'file').", {"file": ["required"]})
    form = request.form
    fmt = form.get("format", "")
    mapping = Mapping(fmt, {f: form.get(f"{f}_column", "") for f in MAPPABLE},
                      default_subset=form.get("subset", "").strip() or "default",
                      default_split=form.get("split", "").strip() or "test")
    system = form.get("system", "").lower() in ("1", "true", "yes") and g.api_user.is_admin
    try:
        dataset = store.create_from_file(None if system else g.api_user, g.api_user, name=form.get("name", ""),
                                         fmt=fmt, description=form.get("description", ""), stream=upload.stream,
                                         filename=upload.filename, mapping=mapping)
    except catalog.DatasetError as exc:
        _raise(exc)
    except validate.UploadInvalid as exc:
        raise ApiError(422, "invalid_file", exc.summary(), {"file": exc.errors}) from exc
    return jsonify(dataset_json(dataset, full=True)), 201


@bp.route("/datasets/<int:dataset_id>", methods=["DELETE"])
def delete_dataset(dataset_id: int):
    catalog.delete(catalog.get_editable(g.api_user, dataset_id), g.api_user)
    return "", 204


@bp.route("/datasets/<int:dataset_id>/rows")
def list_rows(dataset_id: int):
    dataset = catalog.get_visible(g.api_user, dataset_id)
    version = catalog.version_of(dataset, request.args.get("version", type=int))
    page, per_page = _paging()
    result = rows.preview(dataset.id, version.version, version.info, subset=request.args.get("subset") or None,
                          split=request.args.get("split") or None, q=request.args.get("q") or None,
                          page=page, per_page=per_page)
    items = [row_json(r) for r in result.items] if result.page == page else []  # past the last page: none
    return jsonify({"version": version.version, "items": items, "page": page, "pages": result.pages,
                    "per_page": per_page, "total": result.total})


@bp.route("/datasets/<int:dataset_id>/rows", methods=["POST"])
def add_row(dataset_id: int):
    dataset = catalog.get_editable(g.api_user, dataset_id)
    values = {k: v for k, v in _json_body().items() if k in EDITABLE}
    try:
        row = versions.add_row(dataset, values, g.api_user)
    except catalog.DatasetError as exc:
        _raise(exc)
    return jsonify({"version": dataset.current_version, "row": row_json(row)}), 201


@bp.route("/datasets/<int:dataset_id>/rows/<int:row_id>", methods=["PATCH"])
def edit_row(dataset_id: int, row_id: int):
    """Merge the given fields into the row (``null`` or ``""`` clears an optional one) and save a new version."""
    dataset = catalog.get_editable(g.api_user, dataset_id)
    values = rows.row_of(dataset, row_id).record()
    values.update({k: ("" if v is None else v) for k, v in _json_body().items() if k in EDITABLE})
    try:
        row = versions.edit_row(dataset, row_id, values, g.api_user)
    except catalog.DatasetError as exc:
        _raise(exc)
    return jsonify({"version": dataset.current_version, "row": row_json(row)})


@bp.route("/datasets/<int:dataset_id>/rows/<int:row_id>", methods=["DELETE"])
def delete_row(dataset_id: int, row_id: int):
    dataset = catalog.get_editable(g.api_user, dataset_id)
    try:
        version = versions.delete_row(dataset, row_id, g.api_user)
    except catalog.DatasetError as exc:
        _raise(exc)
    return jsonify({"version": version})


@bp.route("/datasets/<int:dataset_id>/subsets/rename", methods=["POST"])
def rename_subset(dataset_id: int):
    dataset = catalog.get_editable(g.api_user, dataset_id)
    body = _json_body()
    try:
        version = versions.rename_subset(dataset, str(body.get("from", "")), str(body.get("to", "")), g.api_user)
    except catalog.DatasetError as exc:
        _raise(exc)
    return jsonify({"version": version})


@bp.route("/datasets/<int:dataset_id>/export")
def export_dataset(dataset_id: int):
    dataset = catalog.get_visible(g.api_user, dataset_id)
    return export.download(dataset, request.args.get("version", type=int), request.args.get("format", "jsonl"))


add_paths(*openapi_paths())
