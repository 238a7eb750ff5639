"""Online editing. Every change makes one new version: changed rows are closed (``valid_to``) and their
replacements inserted, so the rows of older versions stay readable for the reports that pinned them."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Dataset, DatasetRow, DatasetVersion, User
from app.models.dataset import visible_in
from app.services import audit
from app.services.datasets.catalog import DatasetError
from app.services.datasets.formats import LIMITS, Mapping, RowInvalid
from app.services.datasets.info import build_info
from app.services.datasets.rows import row_of, row_values


class RowConflict(DatasetError):
    """The row was changed or deleted after the client read it."""

    def __init__(self):
        super().__init__(_l("This row was changed or deleted in the meantime. Reload the page and try again."),
                         status=409)


def _normalise(dataset: Dataset, values: dict, number: int) -> dict:
    try:
        return Mapping(dataset.format).normalise(values, number)
    except RowInvalid as exc:
        raise DatasetError(str(exc), status=422) from exc


def _begin(dataset: Dataset) -> int:
    """Lock the dataset (MySQL) and return the number of the version being made."""
    db.session.refresh(dataset, with_for_update=True)
    return dataset.current_version + 1


def _check_key(dataset: Dataset, key: str, except_row: int | None = None) -> None:
    query = sa.select(DatasetRow.id).where(DatasetRow.dataset_id == dataset.id, DatasetRow.row_key == key,
                                           DatasetRow.valid_to.is_(None))
    if except_row is not None:
        query = query.where(DatasetRow.id != except_row)
    if db.session.scalar(query.limit(1)) is not None:
        raise DatasetError(_l("Another row already has the id %(id)s.", id=key), "id", 422)


def _open_row(dataset: Dataset, row_id: int) -> DatasetRow:
    row = row_of(dataset, row_id)
    if row.valid_to is not None:
        raise RowConflict()
    return row


def _finish(dataset: Dataset, version: int, actor: User | None, note: str, fields=()) -> None:
    """Recount ``dataset_info`` for ``version``, make it current, record the version and commit."""
    counts = db.session.execute(
        sa.select(DatasetRow.subset, DatasetRow.split, sa.func.count())
        .where(DatasetRow.dataset_id == dataset.id, visible_in(version))
        .group_by(DatasetRow.subset, DatasetRow.split)).all()
    info = build_info({(s, p): n for s, p, n in counts}, set((dataset.dataset_info or {}).get("fields", [])) |
                      set(fields))
    dataset.current_version, dataset.dataset_info = version, info
    db.session.add(DatasetVersion(dataset_id=dataset.id, version=version, info=info, note=note[:500],
                                  author_id=actor.id if actor else None))
    audit.record("dataset.edit", actor, target=dataset, detail=f"{dataset.name} v{version}: {note}")
    db.session.commit()


def add_row(dataset: Dataset, values: dict, actor: User | None) -> DatasetRow:
    """Append a row (validated like an uploaded one); its id defaults to its number."""
    last = db.session.scalar(sa.select(sa.func.max(DatasetRow.position)).where(DatasetRow.dataset_id == dataset.id))
    position = -1 if last is None else last
    record = _normalise(dataset, values, position + 2)
    version = _begin(dataset)
    _check_key(dataset, record["id"])
    row = DatasetRow(**row_values(dataset.id, version, position + 1, record))
    db.session.add(row)
    db.session.flush()
    _finish(dataset, version, actor, f"Added row {record['id']}", record)
    return row


def edit_row(dataset: Dataset, row_id: int, values: dict, actor: User | None) -> DatasetRow:
    """Replace row ``row_id`` of the current version by ``values``; returns the new row (or the row itself when
    nothing changed, which makes no version). Raises ``RowConflict`` when the row is no longer current."""
    row = _open_row(dataset, row_id)
    record = _normalise(dataset, values, row.position + 1)
    if record == row.record():
        return row
    version = _begin(dataset)
    db.session.refresh(row)
    if row.valid_to is not None:
        raise RowConflict()
    if record["id"] != row.row_key:
        _check_key(dataset, record["id"], except_row=row.id)
    row.valid_to = version
    new = DatasetRow(**row_values(dataset.id, version, row.position, record))
    db.session.add(new)
    db.session.flush()
    _finish(dataset, version, actor, f"Edited row {record['id']}", record)
    return new


def delete_row(dataset: Dataset, row_id: int, actor: User | None) -> int:
    """Remove row ``row_id`` from the next version; returns that version."""
    row = _open_row(dataset, row_id)
    version = _begin(dataset)
    db.session.refresh(row)
    if row.valid_to is not None:
        raise RowConflict()
    row.valid_to = version
    _finish(dataset, version, actor, f"Deleted row {row.row_key}")
    return version


def rename_subset(dataset: Dataset, old: str, new: str, actor: User | None) -> int:
    """Move every current row of subset ``old`` to ``new`` (a subset that does not exist yet); returns the version."""
    new = (new or "").strip()
    subsets = (dataset.dataset_info or {}).get("subsets", {})
    if old not in subsets:
        raise DatasetError(_l("There is no subset %(name)s.", name=old), "old", 404)
    if not new or len(new) > LIMITS["subset"]:
        raise DatasetError(_l("A subset name has 1 to %(n)d characters.", n=LIMITS["subset"]), "new", 422)
    if new in subsets:
        raise DatasetError(_l("There is already a subset %(name)s.", name=new), "new", 422)
    version = _begin(dataset)
    current = sa.and_(DatasetRow.dataset_id == dataset.id, DatasetRow.subset == old, DatasetRow.valid_to.is_(None))
    copy = sa.select(DatasetRow.dataset_id, sa.literal(version), sa.literal(new), DatasetRow.split,
                     DatasetRow.position, DatasetRow.row_key, DatasetRow.question, DatasetRow.data).where(current)
    db.session.execute(sa.insert(DatasetRow).from_select(
        ["dataset_id", "valid_from", "subset", "split", "position", "row_key", "question", "data"], copy))
    db.session.execute(sa.update(DatasetRow).where(current, DatasetRow.valid_from < version)
                       .values(valid_to=version).execution_options(synchronize_session=False))
    _finish(dataset, version, actor, f"Renamed subset {old} to {new}")
    return version
