"""Finding, naming and deleting datasets; every lookup is scoped by app/services/ownership.py."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import FORMATS, Dataset, DatasetVersion, User
from app.models.types import utcnow
from app.services import audit, ownership


class DatasetError(ValueError):
    """A request about a dataset cannot be done; ``field`` names the form field at fault, when there is one."""

    def __init__(self, message, field: str | None = None, status: int = 400):
        super().__init__(str(message))
        self.field, self.status = field, status


def visible(user: User) -> sa.Select:
    """Datasets ``user`` may read: system datasets and their own, not deleted."""
    return ownership.visible_query(Dataset, user).where(Dataset.deleted_at.is_(None))


def search(user: User, q: str = "") -> sa.Select:
    """``visible`` filtered by a part of the name, system datasets first, then by name."""
    query = visible(user)
    if q:
        query = query.where(sa.func.lower(Dataset.name).contains(q.lower(), autoescape=True))
    return query.order_by(Dataset.owner_id.is_not(None), Dataset.name, Dataset.id)


def get_visible(user: User, dataset_id: int) -> Dataset:
    """The dataset, or 404 when ``user`` may not see it."""
    dataset = db.session.scalar(visible(user).where(Dataset.id == dataset_id))
    if dataset is None:
        abort(404)
    return dataset


def get_editable(user: User, dataset_id: int) -> Dataset:
    """The dataset if ``user`` may change it: 404 when they cannot see it, 403 when they may only read it."""
    dataset = get_visible(user, dataset_id)
    if not ownership.can_edit(dataset, user):
        abort(403)
    return dataset


def check_new(owner_id: int | None, name: str, fmt: str) -> str:
    """The stripped name, after checking it and the format; raises ``DatasetError``."""
    name = (name or "").strip()
    if not name:
        raise DatasetError(_l("A name is required."), "name", 422)
    if len(name) > 128:
        raise DatasetError(_l("The name is longer than 128 characters."), "name", 422)
    if fmt not in FORMATS:
        raise DatasetError(_l("The format must be mcq or qa."), "format", 422)
    taken = db.session.scalar(sa.select(Dataset.id).where(
        Dataset.name == name, Dataset.deleted_at.is_(None),
        Dataset.owner_id.is_(None) if owner_id is None else Dataset.owner_id == owner_id))
    if taken is not None:
        raise DatasetError(_l("There is already a dataset named %(name)s.", name=name), "name", 409)
    return name


def versions(dataset: Dataset) -> list[DatasetVersion]:
    """The versions of ``dataset``, newest first."""
    return list(db.session.scalars(sa.select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id)
                                   .order_by(DatasetVersion.version.desc())))


def version_of(dataset: Dataset, version: int | None) -> DatasetVersion:
    """The ``DatasetVersion`` numbered ``version`` (the current one when None); 404 when there is none."""
    number = dataset.current_version if version is None else version
    found = db.session.scalar(sa.select(DatasetVersion).where(DatasetVersion.dataset_id == dataset.id,
                                                              DatasetVersion.version == number))
    if found is None:
        abort(404)
    return found


def delete(dataset: Dataset, actor: User) -> None:
    """Hide the dataset from lists and pages; pinned versions stay readable for the reports that read them."""
    dataset.deleted_at = utcnow()
    audit.record("dataset.delete", actor, target=dataset, detail=dataset.name)
    db.session.commit()
