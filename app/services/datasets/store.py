"""Importing a file: parse and validate it all in one streaming pass before any write (``validate.scan``), then
insert the normalised records in batches inside one short transaction. Any problem stores nothing."""
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


def _insert_rows(dataset_id: int, version: int, scan: validate.Scan) -> None:
    """The (already validated) records of ``scan`` as rows of ``version``."""
    batch: list[dict] = []
    for position, record in enumerate(scan.records()):
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
    with validate.scan(stream, _kind(filename), mapping) as scan:
        return _create(owner, actor, name, fmt, description, filename, scan, attrs)


def _create(owner, actor, name: str, fmt: str, description: str, filename: str, scan: validate.Scan,
            attrs: dict) -> Dataset:
    try:
        dataset = Dataset(owner_id=owner.id if owner else None, name=name, format=fmt,
                          description=(description or "").strip(), current_version=1, dataset_info=scan.info,
                          **attrs)
        db.session.add(dataset)
        db.session.flush()
        _insert_rows(dataset.id, 1, scan)
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
    with validate.scan(stream, _kind(filename), mapping) as scan:
        return _replace(dataset, actor, note, scan, attrs)


def _replace(dataset: Dataset, actor: User | None, note: str, scan: validate.Scan, attrs: dict) -> int:
    try:
        db.session.refresh(dataset, with_for_update=True)
        version = dataset.current_version + 1
        db.session.execute(sa.update(DatasetRow).where(DatasetRow.dataset_id == dataset.id,
                                                       DatasetRow.valid_to.is_(None)).values(valid_to=version))
        _insert_rows(dataset.id, version, scan)
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
