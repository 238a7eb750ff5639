"""Hostile upload files, small on disk: deep JSON / JSONL, an XLSX whose parts unpack far past their size, and an
XLSX declaring a huge sheet. Built in memory with zipfile, so no test keeps large fixtures."""
from __future__ import annotations

import io
import zipfile

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def deep_json(depth: int) -> bytes:
    """A JSON array of one record whose answer is ``depth`` nested lists (2 bytes a level)."""
    return b'[{"question":"q","answer":' + b"[" * depth + b"]" * depth + b"}]"


def deep_jsonl(depth: int) -> bytes:
    """The same record as one JSON Lines line, after a good line."""
    return b'{"question":"fine","answer":"yes"}\n{"question":"q","answer":' + b"[" * depth + b"]" * depth + b"}\n"


def _base_xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["question", "answer"])
    book.active.append(["What is 2 + 2?", "4"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rezip(parts: dict[str, object]) -> bytes:
    """The base workbook with ``parts`` replaced or added: bytes, or an iterable of byte chunks streamed in."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_base_xlsx())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        names = src.namelist() + [name for name in parts if name not in src.namelist()]
        for name in names:
            content = parts[name] if name in parts else src.read(name)
            if isinstance(content, bytes):
                dst.writestr(name, content)
                continue
            with dst.open(name, "w", force_zip64=True) as fh:
                for chunk in content:
                    fh.write(chunk)
    return out.getvalue()


def _with_shared_strings(shared) -> dict[str, object]:
    """The parts that register ``shared`` as the workbook's shared strings, and a sheet reading them."""
    with zipfile.ZipFile(io.BytesIO(_base_xlsx())) as src:
        rels = src.read("xl/_rels/workbook.xml.rels").decode()
        types = src.read("[Content_Types].xml").decode()
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.'
                        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                          'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
             '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row></sheetData></worksheet>')
    return {"xl/_rels/workbook.xml.rels": rels.encode(), "[Content_Types].xml": types.encode(),
            SHEET: sheet.encode(), SHARED: shared}


def xlsx_bomb(unpacked_mb: int) -> bytes:
    """A workbook whose shared strings unpack to ``unpacked_mb`` MB (a few hundred KB on disk)."""
    chunk = b"A" * (1 << 20)

    def shared():
        yield (f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="4" uniqueCount="4">'
               '<si><t>question</t></si><si><t>answer</t></si><si><t>What is 2 + 2?</t></si><si><t>4').encode()
        for _ in range(unpacked_mb):
            yield chunk
        yield b"</t></si></sst>"
    return rezip(_with_shared_strings(shared()))


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def xlsx_sheet(dimension: str, rows: dict[int, list[tuple[str, str]]]) -> bytes:
    """A workbook whose sheet declares ``dimension`` and holds ``rows``: row number → [(column, text)]."""
    body = "".join(f'<row r="{n}">' + "".join(_cell(f"{col}{n}", text) for col, text in cells) + "</row>"
                   for n, cells in sorted(rows.items()))
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><dimension ref="{dimension}"/>'
           f"<sheetData>{body}</sheetData></worksheet>")
    return rezip({SHEET: xml.encode()})


def wide_xlsx() -> bytes:
    """1.x KB declaring A1:XFD100000, a header, and one row at r=100000 whose cell sits in the last column."""
    return xlsx_sheet("A1:XFD100000", {1: [("A", "question"), ("B", "answer")], 100000: [("XFD", "x")]})
