"""Datasets: versioned collections of MCQ or QA rows, grouped in subsets and splits.

A row is visible in version ``v`` iff ``valid_from <= v`` and (``valid_to`` is NULL or ``valid_to > v``). An edit
closes the old row (``valid_to`` = the new version) and inserts its replacement, so every version stays readable.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User

FORMATS = ("mcq", "qa")


class Dataset(db.Model):
    """A dataset of one user, or a system dataset (``owner_id`` NULL) that admins manage.

    Deleting one only sets ``deleted_at``: evaluations that pinned a version keep reading its rows. Names are
    unique per owner among datasets that are not deleted (checked by the service).
    """

    __tablename__ = "dataset"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    owner_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(128))
    #: Stable key of a built-in dataset (``manifest.json``); NULL for uploads.
    slug: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    format: so.Mapped[str] = so.mapped_column(sa.String(8))
    current_version: so.Mapped[int] = so.mapped_column(default=1)
    #: Of the current version: ``{"rows", "subsets": {name: n}, "splits": {name: n}, "counts": {subset: {split: n}},
    #: "fields": [...]}``.
    dataset_info: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    source: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    license: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    url: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    #: SHA-256 of the built-in file the current rows came from (reloading a changed file makes a new version).
    checksum: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    owner: so.Mapped[Optional["User"]] = so.relationship()

    @property
    def is_system(self) -> bool:
        return self.owner_id is None

    @property
    def row_count(self) -> int:
        return int((self.dataset_info or {}).get("rows", 0))

    def __repr__(self) -> str:
        return f"<Dataset {self.id} {self.name!r} v{self.current_version}>"


class DatasetVersion(db.Model):
    """One version of a dataset: who made it, why, and its ``dataset_info`` (counts read by the preview)."""

    __tablename__ = "dataset_version"
    __table_args__ = (sa.UniqueConstraint("dataset_id", "version", name="uq_dataset_version_dataset_id_version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dataset_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dataset.id", ondelete="CASCADE"))
    version: so.Mapped[int] = so.mapped_column()
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    author_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    info: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    author: so.Mapped[Optional["User"]] = so.relationship()


class DatasetRow(db.Model):
    """One question of a dataset, visible in versions ``valid_from`` up to (not including) ``valid_to``.

    ``row_key`` is the row's id in the file (stable across edits); ``data`` holds the normalised record without
    ``id``, ``subset`` and ``split``; ``question`` is a copy of the question for search.
    """

    __tablename__ = "dataset_row"
    __table_args__ = (
        sa.Index("ix_dataset_row_scope", "dataset_id", "subset", "split", "position", "valid_from", "valid_to"),
        sa.Index("ix_dataset_row_order", "dataset_id", "position", "valid_from", "valid_to", "subset", "split"),
        sa.Index("ix_dataset_row_key", "dataset_id", "row_key", "valid_to"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    dataset_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dataset.id", ondelete="CASCADE"))
    valid_from: so.Mapped[int] = so.mapped_column()
    valid_to: so.Mapped[Optional[int]] = so.mapped_column()
    subset: so.Mapped[str] = so.mapped_column(sa.String(128))
    split: so.Mapped[str] = so.mapped_column(sa.String(64))
    position: so.Mapped[int] = so.mapped_column()
    row_key: so.Mapped[str] = so.mapped_column(sa.String(128))
    question: so.Mapped[str] = so.mapped_column(sa.Text)
    data: so.Mapped[dict] = so.mapped_column(sa.JSON)

    def record(self) -> dict:
        """The normalised record: ``{"id", "subset", "split", "question", ...}``."""
        return {"id": self.row_key, "subset": self.subset, "split": self.split, **self.data}


def visible_in(version: int):
    """SQL condition: the row belongs to ``version``."""
    return sa.and_(DatasetRow.valid_from <= version,
                   sa.or_(DatasetRow.valid_to.is_(None), DatasetRow.valid_to > version))
