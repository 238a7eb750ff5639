"""Uploading datasets through the page: every file kind, auto-detection and mapping, all-or-nothing validation."""
import io
import json
import tracemalloc

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Dataset
from app.services.datasets import iter_rows, validate
from app.services.datasets.formats import Mapping
from tests.datasets_helpers import (MCQ_ROWS, QA_ROWS, csv_bytes, file_of, jsonl_bytes, stored_counts,
                                    upload_page)


def only_dataset() -> Dataset:
    return db.session.scalars(sa.select(Dataset)).one()


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv", "xlsx"])
def test_each_file_kind_uploads_an_mcq_dataset(client, user, tmp_path, kind):
    content, filename = file_of(kind, MCQ_ROWS, tmp_path)
    r = upload_page(client, content, filename, name=f"MCQ {kind}")
    assert r.status_code == 302, r.data.decode()[:2000]
    dataset = only_dataset()
    assert dataset.owner_id == user.id and dataset.format == "mcq" and dataset.current_version == 1
    info = dataset.dataset_info
    assert info["rows"] == 4 and info["subsets"] == {"geo": 2, "math": 2}
    assert info["counts"]["math"] == {"dev": 1, "test": 1}
    assert info["fields"] == ["question", "A", "B", "C", "D", "answer", "explanation"]
    records = list(iter_rows(dataset, 1))
    assert [r["id"] for r in records] == ["q1", "q2", "q3", "q4"]
    assert records[0] == {"id": "q1", "subset": "math", "split": "test", "question": "What is 2 + 2?", "A": "3",
                          "B": "4", "C": "5", "D": "22", "answer": "B"}
    assert records[3]["answer"] == "A,C" and records[3]["explanation"] == "Spain and Italy."
    assert client.get(r.headers["Location"]).status_code == 200


@pytest.mark.parametrize("kind", ["jsonl", "json", "csv", "xlsx"])
def test_each_file_kind_uploads_a_qa_dataset_with_detected_columns(client, user, tmp_path, kind):
    content, filename = file_of(kind, QA_ROWS, tmp_path)
    r = upload_page(client, content, filename, name=f"QA {kind}", fmt="qa", split="val")
    assert r.status_code == 302
    dataset = only_dataset()
    records = list(iter_rows(dataset, 1))
    assert records[0] == {"id": "1", "subset": "lit", "split": "val", "question": "Who wrote Hamlet?",
                          "answer": "William Shakespeare"}
    assert records[2]["answer"] == "李白" and records[2]["context"] == "唐诗"
    assert dataset.dataset_info["splits"] == {"val": 3}


def test_column_mapping_and_form_defaults(client, user):
    rows = [{"text": "Name a prime.", "gold": "2", "prompt": "ignored"}, {"text": "Name a colour.", "gold": "red"}]
    r = upload_page(client, csv_bytes(rows), "mapped.csv", fmt="qa", question_column="Text",
                    answer_column="gold", subset="quiz", split="dev")
    assert r.status_code == 302
    records = list(iter_rows(only_dataset(), 1))
    assert [(x["question"], x["answer"], x["subset"], x["split"]) for x in records] == [
        ("Name a prime.", "2", "quiz", "dev"), ("Name a colour.", "red", "quiz", "dev")]


def test_semicolon_and_tab_separated_files_are_read(client, user):
    assert upload_page(client, b"question;answer\nHow are you, really?;fine\n", "semi.csv", name="s",
                       fmt="qa").status_code == 302
    assert upload_page(client, b"question\tanswer\nOne, two?\tthree\n", "tabs.tsv", name="t",
                       fmt="qa").status_code == 302
    records = [next(iter_rows(d, 1)) for d in db.session.scalars(sa.select(Dataset).order_by(Dataset.id))]
    assert [(r["question"], r["answer"]) for r in records] == [("How are you, really?", "fine"),
                                                                ("One, two?", "three")]


def test_a_file_with_three_bad_rows_is_refused_naming_each_line(client, user):
    rows = [MCQ_ROWS[0],
            {**MCQ_ROWS[1], "answer": ""},                       # line 2: missing answer
            MCQ_ROWS[2],
            {**MCQ_ROWS[3], "id": "q5", "answer": "F"},          # line 4: letter not among the options
            {"id": "q6", "question": "  ", "A": "x", "B": "y", "answer": "A"}]  # line 5: empty question
    r = upload_page(client, jsonl_bytes(rows), "bad.jsonl")
    assert r.status_code == 422
    page = r.data.decode()
    assert "3 problems; nothing was stored." in page
    assert "line 2: missing answer" in page
    assert "line 4: answer letter F is not among the options (A–D)" in page
    assert "line 5: empty question" in page
    assert "line 1:" not in page and "line 3:" not in page
    assert stored_counts() == (0, 0)


def test_duplicate_ids_bad_json_and_extra_cells_are_named(client, user):
    content = (jsonl_bytes(MCQ_ROWS[:2]) + b'{"id": "q1", "question": "again", "A": "a", "B": "b", "answer": "A"}\n'
               + b"{not json}\n" + b"[1, 2]\n")
    page = upload_page(client, content, "dups.jsonl").data.decode()
    assert "line 3: duplicate id q1 (first on line 1)" in page
    assert "line 4: not valid JSON" in page and "line 5: not a JSON object" in page
    csv_content = b"question,A,B,answer\nok?,a,b,A\nsplit, badly,a,b,A\n"
    page = upload_page(client, csv_content, "cells.csv").data.decode()
    assert "line 3: 5 values but the header has 4 columns" in page
    assert stored_counts() == (0, 0)


def test_a_non_utf8_file_gets_a_clear_message(client, user):
    rows = [{"question": "Café au lait?", "answer": "oui"}, {"question": "Crème brûlée?", "answer": "non"}]
    r = upload_page(client, csv_bytes(rows, encoding="latin-1"), "latin.csv", fmt="qa")
    assert r.status_code == 422
    page = r.data.decode()
    assert "line 2: not valid UTF-8 (save the file as UTF-8)" in page
    assert "line 3: not valid UTF-8 (save the file as UTF-8)" in page
    r = upload_page(client, json.dumps(rows, ensure_ascii=False).encode("latin-1"), "latin.json", fmt="qa")
    assert "line 1: not valid UTF-8 (save the file as UTF-8)" in r.data.decode()
    assert stored_counts() == (0, 0)


def test_a_utf8_bom_is_accepted(client, user):
    content = b"\xef\xbb\xbf" + csv_bytes([{"question": "Q?", "answer": "A"}])
    assert upload_page(client, content, "bom.csv", fmt="qa").status_code == 302
    assert next(iter_rows(only_dataset(), 1))["question"] == "Q?"


def test_a_file_over_the_limit_is_refused_cleanly(app, client, user):
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    app.config["MAX_UPLOAD_MB"] = 1
    big = jsonl_bytes([{"question": "x" * 200, "answer": "y", "id": str(i)} for i in range(200)])
    r = upload_page(client, big, "big.jsonl", fmt="qa")
    assert r.status_code == 413
    assert "The file is larger than the upload limit of 1 MB." in r.data.decode()
    assert 'name="name"' in r.data.decode()  # the upload form is shown again
    assert stored_counts() == (0, 0)


def test_unsupported_type_empty_file_and_taken_name(client, user):
    page = upload_page(client, b"hello", "notes.txt").data.decode()
    assert "unsupported file type" in page
    page = upload_page(client, b"question,answer\n", "empty.csv", fmt="qa").data.decode()
    assert "The file holds no rows." in page
    page = upload_page(client, b"not a zip", "broken.xlsx").data.decode()
    assert "not a valid XLSX workbook" in page
    assert upload_page(client, jsonl_bytes(MCQ_ROWS), "a.jsonl", name="Same").status_code == 302
    r = upload_page(client, jsonl_bytes(MCQ_ROWS), "a.jsonl", name="Same")
    assert r.status_code == 422 and "There is already a dataset named Same." in r.data.decode()
    assert stored_counts()[0] == 1


def test_upload_is_audited_and_listed_with_format_badge_and_counts(client, user):
    upload_page(client, jsonl_bytes(MCQ_ROWS), "a.jsonl", name="Audited")
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "dataset.upload")).one()
    assert event.actor_id == user.id and "4 rows" in event.detail
    page = client.get("/datasets/").data.decode()
    assert 'data-dataset="Audited"' in page and "MCQ" in page and ">4<" in page
    assert "Audited" not in client.get("/datasets/?q=nomatch").data.decode()


def test_validation_reads_the_file_as_a_stream(app):
    """20,000 rows are checked without holding them: peak memory stays far below the rows as objects."""
    content = jsonl_bytes({"id": f"r{i}", "question": f"Question number {i} " + "x" * 150, "answer": "y" * 40}
                          for i in range(20_000))
    stream = io.BytesIO(content)
    tracemalloc.start()
    try:
        with validate.scan(stream, "jsonl", Mapping("qa")) as scan:
            _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert scan.rows == 20_000
    assert peak < len(content)  # the parsed rows as objects would take several times the file's size


@pytest.mark.parametrize("path", ["/datasets/", "/datasets/upload", "/datasets/1", "/datasets/1/export"])
def test_pages_require_login(client, path):
    r = client.get(path)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
