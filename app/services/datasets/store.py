"""Importing a file: validate it all in a first streaming pass, then insert its rows in batches in a second pass,
inside one transaction. Any problem stores nothing."""
from __future__ import annotations

from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models import Dataset, DatasetRow, DatasetVersion, User
from app.services import audit
from app.services.datasets import catalog, readers, validate
from app.services.datasets.formats import Mapping
from app.services.datasets.rows import BATCH, row_values


def _kind(filename: str) -> str:
    try:
        return readers.kind_for(filename)
    except readers.FileInvalid as exc:
        raise validate.UploadInvalid([str(exc)]) from exc


def _insert_rows(dataset_id: int, version: int, stream: BinaryIO, kind: str, mapping: Mapping) -> None:
    """Second pass: the (already validated) records of ``stream`` as rows of ``version``."""
    stream.seek(0)
    batch: list[dict] = []
    for position, (_number, record, reason) in enumerate(validate.normalised(stream, kind, mapping)):
        if record is None:
            raise validate.UploadInvalid([_("The file changed while it was being read: %(reason)s", reason=reason)])
        batch.append(row_values(dataset_id, version, position, record))
        if len(batch) >= BATCH:
            db.session.execute(sa.insert(DatasetRow), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(DatasetRow), batch)


def create_from_file(owner: User | None, actor: User | None, *, name: str, fmt: str, stream: BinaryIO,
                     filename: str, mapping: Mapping, description: str = "", **attrs) -> Dataset:
    """A new dataset (version 1) holding every row of the file; ``owner`` None makes a system dataset.

    Raises ``catalog.DatasetError`` (name, format) or ``validate.UploadInvalid`` (the file); then nothing is stored.
    ``attrs`` sets more columns (``slug``, ``source``, ``license``, ``url``, ``checksum``).
    """
    name = catalog.check_new(owner.id if owner else None, name, fmt)
    kind = _kind(filename)
    scan = validate.scan(stream, kind, mapping)
    try:
        dataset = Dataset(owner_id=owner.id if owner else None, name=name, format=fmt,
                          description=(description or "").strip(), current_version=1, dataset_info=scan.info,
                          **attrs)
        db.session.add(dataset)
        db.session.flush()
        _insert_rows(dataset.id, 1, stream, kind, mapping)
        db.session.add(DatasetVersion(dataset_id=dataset.id, version=1, info=scan.info,
                                      author_id=actor.id if actor else None,
                                      note=f"Uploaded {filename} ({scan.rows} rows)"[:500]))
        audit.record("dataset.upload", actor, target=dataset, detail=f"{name}: {scan.rows} rows from {filename}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return dataset


def replace_from_file(dataset: Dataset, actor: User | None, *, stream: BinaryIO, filename: str,
                      mapping: Mapping, note: str, **attrs) -> int:
    """A new version of ``dataset`` whose rows are exactly the file's (the older versions stay readable).

    Returns the new version number; raises ``validate.UploadInvalid`` and stores nothing when the file is bad.
    """
    kind = _kind(filename)
    scan = validate.scan(stream, kind, mapping)
    try:
        db.session.refresh(dataset, with_for_update=True)
        version = dataset.current_version + 1
        db.session.execute(sa.update(DatasetRow).where(DatasetRow.dataset_id == dataset.id,
                                                       DatasetRow.valid_to.is_(None)).values(valid_to=version))
        _insert_rows(dataset.id, version, stream, kind, mapping)
        dataset.current_version, dataset.dataset_info = version, scan.info
        for key, value in attrs.items():
            setattr(dataset, key, value)
        db.session.add(DatasetVersion(dataset_id=dataset.id, version=version, info=scan.info, note=note[:500],
                                      author_id=actor.id if actor else None))
        audit.record("dataset.replace", actor, target=dataset, detail=f"{dataset.name}: v{version}, {scan.rows} rows")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return version
