"""Streaming readers: each yields ``(number, record, error)`` for one uploaded file, one record at a time.

``number`` is the line (JSONL, CSV), the sheet row (XLSX) or the item (JSON array) the record came from; exactly one
of ``record`` (a dict of column → value) and ``error`` (why the record could not be read) is set. Files are read
from a seekable binary stream, never whole into memory.
"""
from __future__ import annotations

import codecs
import csv
import warnings
import zipfile
from pathlib import PurePath
from typing import BinaryIO, Iterator

import ijson
from flask_babel import lazy_gettext as _l, lazy_ngettext as _ln

from app.services.datasets import limits

BOM = codecs.BOM_UTF8
NOT_UTF8 = _l("not valid UTF-8 (save the file as UTF-8)")
KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx"}
#: What ``number`` counts, per kind.
UNITS = {"jsonl": "line", "csv": "line", "xlsx": "row", "json": "item"}

csv.field_size_limit(limits.MAX_VALUE_CHARS)  # a longer cell stops the reader before it is held in memory

Item = tuple[int, "dict | None", "str | None"]


class FileInvalid(ValueError):
    """The file as a whole cannot be read (unknown type, not an XLSX workbook, not a JSON array...)."""


def kind_for(filename: str) -> str:
    """``jsonl``, ``json``, ``csv`` or ``xlsx`` from the file name; raises ``FileInvalid`` for anything else."""
    kind = KINDS.get(PurePath(filename or "").suffix.lower())
    if kind is None:
        raise FileInvalid(_l("unsupported file type: upload .jsonl, .json, .csv or .xlsx"))
    return kind


def read_records(stream: BinaryIO, kind: str) -> Iterator[Item]:
    """The records of ``stream`` (positioned at its start) read as ``kind``, each within ``limits``: a record
    breaking one is reported as that record's error; a file breaking one raises ``FileInvalid``."""
    for number, record, error in {"jsonl": _jsonl, "json": _json, "csv": _csv, "xlsx": _xlsx}[kind](stream):
        if record is not None:
            error = limits.check_record(record)
        yield (number, None, error) if error is not None else (number, record, None)


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(iter(stream.readline, b""), 1):
        yield number, raw[len(BOM):] if number == 1 and raw.startswith(BOM) else raw


def _jsonl(stream: BinaryIO) -> Iterator[Item]:
    for number, raw in _lines(stream):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield number, None, NOT_UTF8
            continue
        if not line.strip():
            continue
        try:
            obj, = limits.json_values(raw, 0)  # all of it: text after the value is an error
        except limits.LimitExceeded as exc:
            yield number, None, str(exc)
            continue
        except ijson.JSONError as exc:
            yield number, None, _l("not valid JSON (%(error)s)", error=_first_line(exc))
            continue
        yield (number, obj, None) if isinstance(obj, dict) else (number, None, _l("not a JSON object"))


def _csv(stream: BinaryIO) -> Iterator[Item]:
    bad_lines: set[int] = set()

    def decoded():
        for number, raw in _lines(stream):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.add(number)
                yield raw.decode("utf-8", errors="replace")

    lines = decoded()
    first = next(lines, "")
    counts = {d: first.count(d) for d in (",", "\t", ";")}  # the header's separator; a comma on a tie
    delimiter = max(counts, key=counts.get)
    reader = csv.reader(_chain(first, lines), delimiter=delimiter)
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            too_long = "field limit" in str(exc)
            yield start, None, str(limits.too_long()) if too_long else _l("not valid CSV (%(error)s)", error=str(exc))
            continue
        if any(n in bad_lines for n in range(start, reader.line_num + 1)):
            yield start, None, NOT_UTF8
            continue
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            yield start, None, _l("%(n)d values but the header has %(m)d columns", n=len(cells), m=len(header))
            continue
        yield start, {h: c for h, c in zip(header, cells) if h}, None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _xlsx(stream: BinaryIO) -> Iterator[Item]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, EOFError, SyntaxError)
    try:
        limits.check_xlsx(stream)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except limits.LimitExceeded as exc:
        raise FileInvalid(str(exc)) from exc
    except broken as exc:
        raise FileInvalid(_l("not a valid XLSX workbook")) from exc
    try:
        header: list[str] | None = None
        for number, cells in _sheet_rows(book):
            limits.check_xlsx_row(number, cells)
            if not any(c is not None and str(c).strip() for c in cells):
                continue
            if header is None:
                unsaved = [i for i, c in enumerate(cells) if c is NO_SAVED_VALUE]
                if unsaved:
                    from openpyxl.utils import get_column_letter
                    raise FileInvalid(_l("row %(n)d, column %(column)s: the column name is a formula with no saved "
                                         "value — open the file in a spreadsheet app and save it, or type the name",
                                         n=number, column=get_column_letter(unsaved[0] + 1)))
                header = [str(c).strip().lower() if c is not None else "" for c in cells]
                continue
            unsaved = [h for h, c in zip(header, cells) if h and c is NO_SAVED_VALUE]
            if unsaved:
                yield number, None, _ln(
                    "a formula with no saved value in column %(columns)s — open the file in a spreadsheet app "
                    "and save it, or paste the values",
                    "formulas with no saved value in columns %(columns)s — open the file in a spreadsheet app "
                    "and save it, or paste the values", len(unsaved), columns=", ".join(unsaved))
                continue
            yield number, {h: c for h, c in zip(header, cells) if h}, None
    except limits.LimitExceeded as exc:
        raise FileInvalid(str(exc)) from exc
    except FileInvalid:
        raise
    except broken as exc:  # a part that does not inflate to its declared size, broken XML...
        raise FileInvalid(_l("not a valid XLSX workbook")) from exc
    finally:
        book.close()


class _NoSavedValue:
    """The value of a formula cell saved without its result (openpyxl and some scripts write such files)."""

    def __repr__(self) -> str:
        return "<formula with no saved value>"


NO_SAVED_VALUE = _NoSavedValue()


def _sheet_rows(book) -> Iterator[tuple[int, tuple]]:
    """``(sheet row number, cell values)`` of each row the first sheet of ``book`` (read-only, data-only) holds,
    as wide as the cells it holds (never padded to the size the file declares); a formula cell without a saved
    result reads as ``NO_SAVED_VALUE``, not None, so it is not taken for an empty cell.

    openpyxl's data-only reader gives None for both, so the rows are parsed here with a parser that tells them
    apart (openpyxl is pinned in requirements.txt; its read-only sheet parses the same way).
    """
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            # A formula whose result is text is saved as t="str"; an empty <v> there is the empty text.
            if cell["value"] is None and element.find(FORMULA_TAG) is not None and element.get("t") != "str":
                cell["value"] = NO_SAVED_VALUE
            return cell

    sheet = book.worksheets[0]
    with sheet._get_source() as source:
        parser = Parser(source, sheet._shared_strings, data_only=True, epoch=book.epoch,
                        date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        for number, cells in parser.parse():
            yield number, sheet._get_row(cells, values_only=True)


def first_bad_utf8_line(stream: BinaryIO) -> int | None:
    """The number of the first line of ``stream`` that is not UTF-8, reading in chunks; None when all is."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            carried = len(exc.object) - len(chunk)  # bytes of an unfinished character from the last chunk
            return line + chunk[:max(0, exc.start - carried)].count(b"\n")
        line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    return None


def _json(stream: BinaryIO) -> Iterator[Item]:
    bad = first_bad_utf8_line(stream)
    if bad is not None:
        raise FileInvalid(_l("line %(n)d: not valid UTF-8 (save the file as UTF-8)", n=bad))
    stream.seek(0)
    head = stream.read(64)
    start = len(BOM) if head.startswith(BOM) else 0
    if not head[start:].lstrip().startswith(b"["):
        raise FileInvalid(_l("a .json file must hold an array of objects (use .jsonl for one object per line)"))
    stream.seek(start)
    number = 0
    try:
        for number, obj in enumerate(limits.json_values(stream, 1), 1):
            yield (number, obj, None) if isinstance(obj, dict) else (number, None, _l("not a JSON object"))
    except limits.LimitExceeded as exc:
        raise FileInvalid(_l("item %(n)d: %(reason)s", n=number + 1, reason=str(exc))) from exc
    except ijson.JSONError as exc:
        yield number + 1, None, _l("not valid JSON (%(error)s)", error=_first_line(exc))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else "syntax error"
