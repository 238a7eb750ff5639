"""The bounds every uploaded file is read within, whatever its kind, so one small hostile file cannot take the
server's memory or CPU: nesting depth, size of one value, NUL characters, and for XLSX the unpacked size, the
row width and the row count. Each refusal names its limit.

JSON (a whole ``.json`` array or one ``.jsonl`` line) is parsed from ijson's flat events by ``json_values``, which
stops at ``MAX_DEPTH`` before building anything deeper (ijson's own ``items`` keeps a path per level: memory grows
with the square of the depth; ``json.loads`` recurses in C and fails with a RecursionError).
"""
from __future__ import annotations

import zipfile
from typing import BinaryIO, Iterator

import ijson
from flask_babel import lazy_gettext as _l

#: Deepest nesting of a record: the record is level 1, a list in one of its fields level 2...
MAX_DEPTH = 32
#: Longest text of one value (a cell, a JSON string), in characters.
MAX_VALUE_CHARS = 1_000_000
#: XLSX: most columns in a row, most rows in the sheet, and what all parts of the workbook may unpack to.
MAX_COLUMNS = 512
MAX_ROWS = 500_000
MAX_UNPACKED_MB = 100


class LimitExceeded(ValueError):
    """The file (or one record of it) is beyond one of the bounds; the message names the bound."""


def too_deep() -> LimitExceeded:
    return LimitExceeded(_l("nested deeper than %(n)d levels (the limit)", n=MAX_DEPTH))


def too_long() -> LimitExceeded:
    return LimitExceeded(_l("a value is longer than %(n)d characters (the limit)", n=MAX_VALUE_CHARS))


def json_values(source, level: int) -> Iterator[object]:
    """The JSON values at nesting ``level`` of ``source`` (bytes or a binary stream): ``0`` for one document,
    ``1`` for the items of a top-level array. Raises ``LimitExceeded`` past ``MAX_DEPTH`` and ijson's
    ``JSONError`` for broken JSON."""
    stack: list = []
    keys: list = []
    for event, value in ijson.basic_parse(source, use_float=True):
        if event in ("start_map", "start_array"):
            if len(stack) - level >= MAX_DEPTH:
                raise too_deep()
            stack.append({} if event == "start_map" else [])
            keys.append(None)
            continue
        if event == "map_key":
            keys[-1] = value
            continue
        if event in ("end_map", "end_array"):
            value = stack.pop()
            keys.pop()
        if len(stack) == level:
            yield value
        elif len(stack) > level:
            if isinstance(stack[-1], list):
                stack[-1].append(value)
            else:
                stack[-1][keys[-1]] = value


def check_json_depth(data: str | bytes) -> None:
    """Raise ``LimitExceeded`` when the JSON text ``data`` nests deeper than ``MAX_DEPTH``, building nothing
    (broken JSON is left to the parser that follows, for its usual message)."""
    depth = 0
    try:
        for event, _value in ijson.basic_parse(data.encode() if isinstance(data, str) else data):
            if event in ("start_map", "start_array"):
                depth += 1
                if depth > MAX_DEPTH:
                    raise too_deep()
            elif event in ("end_map", "end_array"):
                depth -= 1
    except ijson.JSONError:
        return


def check_record(record: dict) -> str | None:
    """Why ``record`` breaks a bound (a NUL character, an over-long value), or None when it does not."""
    pending = [record]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            if len(value) > MAX_VALUE_CHARS:
                return str(too_long())
            if "\x00" in value:
                return str(_l("holds a NUL character (\\0): save the file as plain UTF-8 text"))
    return None


def check_xlsx(stream: BinaryIO) -> None:
    """Refuse a workbook whose parts would unpack past ``MAX_UNPACKED_MB``, before anything is unpacked.

    The sizes come from the zip directory; Python's zipfile never inflates a part past its declared size (it
    stops there and fails the CRC), so a part that lies about its size cannot get past this either.
    """
    stream.seek(0)
    with zipfile.ZipFile(stream) as archive:
        total = sum(info.file_size for info in archive.infolist())
    stream.seek(0)
    if total > MAX_UNPACKED_MB * 1024 * 1024:
        raise LimitExceeded(_l("the workbook unpacks to %(size)d MB, more than the limit of %(n)d MB",
                               size=total // (1024 * 1024), n=MAX_UNPACKED_MB))


def check_xlsx_row(number: int, cells: tuple) -> None:
    """Refuse a sheet row past ``MAX_ROWS`` or wider than ``MAX_COLUMNS`` cells."""
    if number > MAX_ROWS:
        raise LimitExceeded(_l("the sheet has more than %(n)d rows (the limit)", n=MAX_ROWS))
    if len(cells) > MAX_COLUMNS:
        raise LimitExceeded(_l("row %(row)d has %(cells)d columns, more than the limit of %(n)d",
                               row=number, cells=len(cells), n=MAX_COLUMNS))
