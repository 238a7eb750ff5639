"""The only pass over an upload: read every record, normalise it and collect every problem before storing anything.

The normalised records wait in a temporary file (``Scan.records``), so the rows are written from there without
parsing the upload again: no write transaction is open while a file is parsed.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from typing import IO, BinaryIO, Iterator

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
    """What the pass learnt: the row count, the ``dataset_info`` of the file and its normalised records.

    Use it in a ``with`` block (or ``close()`` it): the records live in a temporary file until then.
    """

    rows: int
    info: dict
    spool: IO[bytes] = field(repr=False)

    def records(self) -> Iterator[dict]:
        """The file's normalised records, in file order."""
        self.spool.seek(0)
        for line in self.spool:
            yield json.loads(line)

    def close(self) -> None:
        self.spool.close()

    def __enter__(self) -> "Scan":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


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
    spool = tempfile.TemporaryFile()
    try:
        rows, info = _check_all(stream, kind, mapping, spool)
    except BaseException:
        spool.close()
        raise
    return Scan(rows=rows, info=info, spool=spool)


def _check_all(stream: BinaryIO, kind: str, mapping: Mapping, spool: IO[bytes]) -> tuple[int, dict]:
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
            if not total:  # once a row is bad nothing will be stored: stop keeping them
                spool.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    except readers.FileInvalid as exc:
        raise UploadInvalid(errors + [str(exc)], total + 1) from exc
    if total:
        raise UploadInvalid(errors, total)
    if not counter.rows:
        raise UploadInvalid([_("The file holds no rows.")])
    return counter.rows, counter.result()
