"""Hostile uploads are refused with a message naming the limit they break, and nothing is stored (issue #11)."""
import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.services.datasets import limits, readers, store
from app.services.datasets.formats import Mapping
from tests.datasets_helpers import csv_bytes, jsonl_bytes, make_dataset, stored_counts, upload_api, upload_page
from tests.hostile_files import SHEET, deep_json, deep_jsonl, rezip, wide_xlsx, xlsx_bomb, xlsx_sheet

QA = [{"question": "Who wrote Hamlet?", "answer": "Shakespeare"}]


def refused(r, *needles: str) -> str:
    page = r.data.decode()
    assert r.status_code == 422, page[:2000]
    for needle in needles:
        assert needle in page, page[:3000]
    assert stored_counts() == (0, 0)
    return page


@pytest.mark.parametrize("kind", ["json", "jsonl"])
def test_deeply_nested_json_is_refused_naming_the_depth_limit(client, user, kind):
    content = deep_json(20_000) if kind == "json" else deep_jsonl(20_000)  # 40 KB
    r = upload_page(client, content, f"deep.{kind}", fmt="qa")
    refused(r, "nested deeper than 32 levels")


def test_nesting_within_the_limit_is_read(client, user):
    nested = {"question": "q", "answer": "a", "alternatives": ["x", "y"], "meta": [[[["fine"]]]]}
    r = upload_page(client, jsonl_bytes([nested]), "ok.jsonl", fmt="qa")
    assert r.status_code == 302
    assert stored_counts()[0] == 1


def test_deep_json_through_the_api_is_a_json_422(client, user, api_headers):
    r = upload_api(client, api_headers(user), deep_json(20_000), "deep.json", fmt="qa")
    assert r.status_code == 422
    body = r.get_json()["error"]
    assert body["code"] == "invalid_file" and "nested deeper than 32 levels" in " ".join(body["fields"]["file"])


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_value_longer_than_the_limit_is_refused(client, user, kind, monkeypatch):
    monkeypatch.setattr(limits, "MAX_VALUE_CHARS", 1000)
    rows = [{"question": "short", "answer": "ok"}, {"question": "x" * 1001, "answer": "long"}]
    content = csv_bytes(rows) if kind == "csv" else jsonl_bytes(rows)
    r = upload_page(client, content, f"long.{kind}", fmt="qa")
    refused(r, "line 3: " if kind == "csv" else "line 2: ", "longer than 1000 characters")


def test_csv_field_limit_is_the_value_limit():
    import csv
    assert csv.field_size_limit() == limits.MAX_VALUE_CHARS == 1_000_000


def test_a_csv_holding_nul_bytes_is_refused(client, user):
    content = b"question,answer\nfine,yes\nbad\x00question,no\n"
    r = upload_page(client, content, "nul.csv", fmt="qa")
    refused(r, "line 3: holds a NUL character")


def test_an_xlsx_unpacking_past_the_limit_is_refused_before_it_is_unpacked(client, user, monkeypatch):
    monkeypatch.setattr(limits, "MAX_UNPACKED_MB", 5)
    bomb = xlsx_bomb(6)
    assert len(bomb) < 50_000
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(1))
    r = upload_page(client, bomb, "bomb.xlsx", fmt="qa")
    refused(r, "the workbook unpacks to 6 MB, more than the limit of 5 MB")
    assert opened == []


def test_an_xlsx_within_the_unpacked_limit_is_read(client, user):
    r = upload_page(client, xlsx_bomb(0), "small.xlsx", fmt="qa")
    assert r.status_code == 302, r.data.decode()[:2000]


def test_a_declared_huge_dimension_costs_nothing_and_a_too_wide_row_is_refused(client, user):
    r = upload_page(client, wide_xlsx(), "wide.xlsx", fmt="qa")
    refused(r, "row 100000 has 16384 columns, more than the limit of 512")


def test_a_lying_dimension_does_not_pad_rows(client, user):
    """The sheet says A1:XFD100000 but holds two narrow rows: both are read, as two columns."""
    content = xlsx_sheet("A1:XFD100000", {1: [("A", "question"), ("B", "answer")],
                                          100000: [("A", "Far down?"), ("B", "yes")]})
    records = [r for _n, r, _e in readers.read_records(io.BytesIO(content), "xlsx")]
    assert records == [{"question": "Far down?", "answer": "yes"}]


def test_a_sheet_past_the_row_limit_is_refused(client, user, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 1000)
    content = xlsx_sheet("A1:B2000", {1: [("A", "question"), ("B", "answer")], 2000: [("A", "q"), ("B", "a")]})
    refused(upload_page(client, content, "tall.xlsx", fmt="qa"), "more than 1000 rows")


def test_the_file_is_parsed_before_any_write(app, user, monkeypatch):
    """Every record is read before the first INSERT or UPDATE: no write lock is held while a file is parsed."""
    events: list[str] = []
    real = readers.read_records

    def spying(stream, kind):
        for item in real(stream, kind):
            events.append("parse")
            yield item

    def on_execute(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            events.append("write")

    monkeypatch.setattr(readers, "read_records", spying)
    sa.event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        rows = [{"question": f"q{i}", "answer": "a"} for i in range(5)]
        dataset = store.create_from_file(user, user, name="Once", fmt="qa", stream=io.BytesIO(jsonl_bytes(rows)),
                                         filename="once.jsonl", mapping=Mapping("qa"))
        store.replace_from_file(dataset, user, stream=io.BytesIO(jsonl_bytes(rows[:3])), filename="again.jsonl",
                                mapping=Mapping("qa"), note="again")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", on_execute)
    assert events.count("parse") == 8  # each file is read once
    collapsed = [e for i, e in enumerate(events) if i == 0 or events[i - 1] != e]
    assert collapsed == ["parse", "write", "parse", "write"]  # a whole file, then its writes, twice


def test_a_deeply_nested_json_body_is_a_400_on_the_api(client, user, api_headers):
    """Request bodies go through the same depth bound: a 200 KB nested body is refused, not a RecursionError."""
    dataset = make_dataset(user)
    body = '{"question":"q","answer":' + "[" * 100_000 + "]" * 100_000 + "}"
    r = client.post(f"/api/v1/datasets/{dataset.id}/rows", data=body,
                    headers={**api_headers(user), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"
    assert client.post(f"/api/v1/datasets/{dataset.id}/rows", json={"question": "fine?", "A": "x", "B": "y",
                                                                      "answer": "A"},
                       headers=api_headers(user)).status_code == 201


def test_a_jsonl_line_is_one_whole_json_value():
    data = b'{"question": "a", "answer": "b"} {"question": "c"}\n{"question": "d", "answer": "e"}\n'
    items = list(readers.read_records(io.BytesIO(data), "jsonl"))
    assert items[0][0] == 1 and items[0][1] is None and "not valid JSON" in str(items[0][2])
    assert items[1] == (2, {"question": "d", "answer": "e"}, None)


@pytest.mark.parametrize("xml", [b"<worksheet><sheetData><row r='1'>", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a '
                                 b'"aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet>&b;</worksheet>'])
def test_a_broken_or_entity_laden_sheet_is_refused_as_invalid(client, user, xml):
    refused(upload_page(client, rezip({SHEET: xml}), "broken.xlsx", fmt="qa"), "not a valid XLSX workbook")
