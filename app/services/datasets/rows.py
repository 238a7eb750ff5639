"""Reading the rows of a dataset version: the paginated preview, single rows, and ``iter_rows`` for jobs."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Iterator

import sqlalchemy as sa
from flask import abort

from app.extensions import db
from app.models import Dataset, DatasetRow
from app.models.dataset import visible_in
from app.services.datasets.formats import data_of
from app.services.datasets.info import count_in

#: Characters of the question copied to the searchable ``question`` column (the full text is in ``data``).
QUESTION_CHARS = 16000
BATCH = 1000


def row_values(dataset_id: int, version: int, position: int, record: dict) -> dict:
    """Column values of a new ``DatasetRow`` holding ``record`` from ``version`` on."""
    return {"dataset_id": dataset_id, "valid_from": version, "valid_to": None, "subset": record["subset"],
            "split": record["split"], "position": position, "row_key": record["id"],
            "question": record["question"][:QUESTION_CHARS], "data": data_of(record)}


def _scoped(dataset_id: int, version: int, subsets: Iterable[str] | None = None, split: str | None = None,
            q: str | None = None) -> list:
    conditions = [DatasetRow.dataset_id == dataset_id, visible_in(version)]
    if subsets:
        subsets = list(subsets)
        conditions.append(DatasetRow.subset == subsets[0] if len(subsets) == 1 else DatasetRow.subset.in_(subsets))
    if split:
        conditions.append(DatasetRow.split == split)
    if q:  # case-insensitive: SQLite's LIKE for ASCII, MySQL's through the _ci collation
        conditions.append(DatasetRow.question.contains(q, autoescape=True))
    return conditions


def iter_rows(dataset: Dataset, version: int, subsets: Iterable[str] | None = None,
              split: str | None = None) -> Iterator[dict]:
    """The normalised records of ``dataset`` at ``version`` (optionally some subsets / one split), in position
    order, read in batches: what an evaluation pinned to that version reads."""
    conditions = _scoped(dataset.id, version, subsets, split)
    columns = (DatasetRow.position, DatasetRow.row_key, DatasetRow.subset, DatasetRow.split, DatasetRow.data)
    last = -1
    while True:
        batch = db.session.execute(sa.select(*columns).where(*conditions, DatasetRow.position > last)
                                   .order_by(DatasetRow.position).limit(BATCH)).all()
        for position, key, subset, split_, data in batch:
            yield {"id": key, "subset": subset, "split": split_, **data}
        if len(batch) < BATCH:
            return
        last = batch[-1].position


@dataclass
class RowPage:
    """One page of rows, with the attributes the ``pagination`` macro reads."""

    items: list[DatasetRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def preview(dataset_id: int, version: int, info: dict, *, subset: str | None = None, split: str | None = None,
            q: str | None = None, page: int = 1, per_page: int = 25) -> RowPage:
    """Page ``page`` of the rows of a version in position order; counts come from the version's ``info`` unless
    searching. The page's ids are found on the covering index first, then only those rows are read."""
    conditions = _scoped(dataset_id, version, [subset] if subset else None, split, q)
    if q:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(DatasetRow).where(*conditions))
    else:
        total = count_in(info, subset, split)
    page = min(max(1, page), max(1, math.ceil(total / per_page)))
    # Positions are unique within a version, so ordering by position alone walks the index without a sort.
    ids = (sa.select(DatasetRow.id).where(*conditions).order_by(DatasetRow.position)
           .limit(per_page).offset((page - 1) * per_page).subquery())
    items = db.session.scalars(sa.select(DatasetRow).join(ids, DatasetRow.id == ids.c.id)
                               .order_by(DatasetRow.position)).all()
    return RowPage(items=list(items), page=page, per_page=per_page, total=total)


def row_of(dataset: Dataset, row_id: int) -> DatasetRow:
    """The row ``row_id`` of ``dataset`` as it is in any version; 404 when it is not one of its rows."""
    row = db.session.get(DatasetRow, row_id)
    if row is None or row.dataset_id != dataset.id:
        abort(404)
    return row
