"""Cells of every CSV and XLSX export (datasets, evaluations, benchmarks), safe to open in a spreadsheet.

A spreadsheet runs text starting with ``=``, ``+``, ``-`` or ``@`` (and TAB or CR before them) as a formula, so a
dataset row, a model's answer or a model's name could start ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0``.
OWASP's rule: such a cell gets a leading ``'``, which the spreadsheet shows as text. JSON and JSONL exports keep
every value exact; use them to round-trip data.
"""
from __future__ import annotations

import csv
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Longest text Excel holds in one cell (32,767), with room to spare.
XLSX_MAX_CHARS = 32000


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter:
    """``csv.writer`` whose rows are neutralised cell by cell."""

    def __init__(self, buffer, **options):
        self._writer = csv.writer(buffer, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in row])


def xlsx_cell(value: Any) -> Any:
    """A value for an openpyxl cell: neutralised, without the control characters XLSX forbids, and cut to fit."""
    if isinstance(value, str):
        value = "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 32)[:XLSX_MAX_CHARS]
    return neutralise(value)
