"""Exporting any version of a dataset as JSON Lines or CSV, streamed a batch of rows at a time."""
from __future__ import annotations

import io
import json
import re
from typing import Iterator

from flask import Response, abort, stream_with_context

from app.models import Dataset
from app.services.cells import CsvWriter
from app.services.datasets.catalog import version_of
from app.services.datasets.formats import FORMAT_FIELDS, KEYS
from app.services.datasets.rows import iter_rows

FORMATS = {"jsonl": "application/x-ndjson; charset=utf-8", "csv": "text/csv; charset=utf-8"}


def filename(dataset: Dataset, version: int, fmt: str) -> str:
    """``<name>-v<version>.<fmt>`` with the name reduced to safe characters."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", dataset.name).strip("-") or f"dataset-{dataset.id}"
    return f"{stem}-v{version}.{fmt}"


def columns(dataset: Dataset, info: dict) -> list[str]:
    """CSV header: id, subset, split, then the format's fields present in the version (``info["fields"]``)."""
    present = set(info.get("fields", []))
    return [*KEYS, *(f for f in FORMAT_FIELDS[dataset.format] if f in present)]


def export_lines(dataset: Dataset, version: int, info: dict, fmt: str) -> Iterator[str]:
    """The version's rows as text chunks of ``fmt`` (``jsonl`` or ``csv``, a UTF-8 BOM-less file). CSV cells a
    spreadsheet would run as formulas get a leading ``'`` (``app/services/cells.py``); JSONL stays exact."""
    if fmt == "jsonl":
        for record in iter_rows(dataset, version):
            yield json.dumps(record, ensure_ascii=False) + "\n"
        return
    header = columns(dataset, info)
    buffer = io.StringIO()
    writer = CsvWriter(buffer, lineterminator="\n")
    writer.writerow(header)
    for n, record in enumerate(iter_rows(dataset, version), 1):
        writer.writerow([json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
                         for v in (record.get(c, "") for c in header)])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def download(dataset: Dataset, version: int | None, fmt: str) -> Response:
    """A streamed attachment of ``version`` (the current one when None) as ``fmt``; 404 for an unknown format."""
    if fmt not in FORMATS:
        abort(404)
    found = version_of(dataset, version)
    body = stream_with_context(export_lines(dataset, found.version, found.info, fmt))
    name = filename(dataset, found.version, fmt)
    return Response(body, content_type=FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
