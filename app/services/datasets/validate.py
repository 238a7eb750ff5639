"""The first pass of an upload: read every record, normalise it and collect every problem before storing anything."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Iterator

from flask_babel import gettext as _, ngettext

from app.services.datasets import readers
from app.services.datasets.formats import Mapping, RowInvalid
from app.services.datasets.info import InfoCounter

#: Problems listed in full; the others are counted.
MAX_SHOWN = 200


class UploadInvalid(ValueError):
    """An upload refused as a whole: ``errors`` lists the problems (at most ``MAX_SHOWN``), ``total`` counts all."""

    def __init__(self, errors: list[str], total: int | None = None):
        self.errors = [str(e) for e in errors]
        self.total = len(self.errors) if total is None else total
        super().__init__(self.summary())

    def summary(self) -> str:
        if self.total > len(self.errors):
            return ngettext("%(num)d row has a problem (the first %(shown)d are listed); nothing was stored.",
                            "%(num)d rows have problems (the first %(shown)d are listed); nothing was stored.",
                            self.total, shown=len(self.errors))
        return ngettext("%(num)d problem; nothing was stored.", "%(num)d problems; nothing was stored.", self.total)


def located(unit: str, number: int, reason) -> str:
    """``"line 3: missing answer"`` (or ``row``/``item``, after the file kind)."""
    if unit == "item":
        return _("item %(n)d: %(reason)s", n=number, reason=reason)
    if unit == "row":
        return _("row %(n)d: %(reason)s", n=number, reason=reason)
    return _("line %(n)d: %(reason)s", n=number, reason=reason)


@dataclass
class Scan:
    """What the first pass learnt: the row count and the ``dataset_info`` of the file."""

    rows: int
    info: dict


def normalised(stream: BinaryIO, kind: str, mapping: Mapping) -> Iterator[tuple[int, dict | None, str | None]]:
    """``(number, record, reason)`` for every record of the file, ``record`` normalised when it is valid.

    A record without an id gets its index in the file (1, 2, ...) as id.
    """
    for index, (number, raw, error) in enumerate(readers.read_records(stream, kind), 1):
        if error is not None:
            yield number, None, str(error)
            continue
        try:
            yield number, mapping.normalise(raw, index), None
        except RowInvalid as exc:
            yield number, None, str(exc)


def scan(stream: BinaryIO, kind: str, mapping: Mapping) -> Scan:
    """Validate the whole file; raises ``UploadInvalid`` naming every bad row (by line) and why."""
    unit = readers.UNITS[kind]
    errors: list[str] = []
    total = 0
    seen: dict[str, int] = {}
    counter = InfoCounter()
    stream.seek(0)
    try:
        for number, record, reason in normalised(stream, kind, mapping):
            if record is not None and record["id"] in seen:
                reason = _("duplicate id %(id)s (first on %(unit)s %(n)d)", id=record["id"], unit=unit,
                           n=seen[record["id"]])
            if reason is not None:
                total += 1
                if len(errors) < MAX_SHOWN:
                    errors.append(located(unit, number, reason))
                continue
            seen[record["id"]] = number
            counter.add(record)
    except readers.FileInvalid as exc:
        raise UploadInvalid(errors + [str(exc)], total + 1) from exc
    if total:
        raise UploadInvalid(errors, total)
    if not counter.rows:
        raise UploadInvalid([_("The file holds no rows.")])
    return Scan(rows=counter.rows, info=counter.result())
