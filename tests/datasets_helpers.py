"""Shared test helpers for the dataset registry: files of every kind, and uploads through the page and the API."""
from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from app.extensions import db
from app.models import Dataset, DatasetRow

MCQ_ROWS = [
    {"id": "q1", "subset": "math", "split": "test", "question": "What is 2 + 2?", "A": "3", "B": "4", "C": "5",
     "D": "22", "answer": "B"},
    {"id": "q2", "subset": "math", "split": "dev", "question": "What is 3 * 3?", "A": "6", "B": "9", "C": "33",
     "D": "12", "answer": "B"},
    {"id": "q3", "subset": "geo", "split": "test", "question": "Capital of France?", "A": "Paris", "B": "Rome",
     "C": "Berlin", "D": "Madrid", "answer": "A"},
    {"id": "q4", "subset": "geo", "split": "test", "question": "Which are in Europe?", "A": "Spain",
     "B": "Peru", "C": "Italy", "D": "Chile", "answer": "A, C", "explanation": "Spain and Italy."},
]
QA_ROWS = [
    {"prompt": "Who wrote Hamlet?", "response": "William Shakespeare", "category": "lit"},
    {"prompt": "Boiling point of water at sea level in Celsius?", "response": "100", "category": "science"},
    {"prompt": "床前明月光的作者是谁？", "response": "李白", "category": "lit", "context": "唐诗"},
]


def jsonl_bytes(rows) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def json_bytes(rows) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=1).encode()


def csv_bytes(rows, encoding: str = "utf-8") -> bytes:
    header = list(dict.fromkeys(k for r in rows for k in r))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, tmp_path) -> bytes:
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    header = list(dict.fromkeys(k for r in rows for k in r))
    sheet.append(header)
    for r in rows:
        sheet.append([r.get(h) for h in header])
    path = tmp_path / "rows.xlsx"
    book.save(path)
    return path.read_bytes()


def file_of(kind: str, rows, tmp_path=None) -> tuple[bytes, str]:
    """``(content, filename)`` of ``rows`` written as ``kind`` (jsonl, json, csv or xlsx)."""
    makers = {"jsonl": jsonl_bytes, "json": json_bytes, "csv": csv_bytes}
    content = xlsx_bytes(rows, tmp_path) if kind == "xlsx" else makers[kind](rows)
    return content, f"rows.{kind}"


def upload_page(client, content: bytes, filename: str, name: str = "My set", fmt: str = "mcq", **fields):
    """POST the upload form (CSRF is off in unit tests)."""
    data = {"name": name, "format": fmt, "subset": "default", "split": "test", **fields,
            "file": (io.BytesIO(content), filename)}
    return client.post("/datasets/upload", data=data, content_type="multipart/form-data")


def upload_api(client, headers, content: bytes, filename: str, name: str = "Api set", fmt: str = "mcq", **fields):
    data = {"name": name, "format": fmt, **fields, "file": (io.BytesIO(content), filename)}
    return client.post("/api/v1/datasets", data=data, headers=headers, content_type="multipart/form-data")


def make_dataset(owner, rows=MCQ_ROWS, fmt: str = "mcq", name: str = "Fixture set", system: bool = False):
    """A dataset stored through the real import path (``owner`` None or ``system`` makes a system dataset)."""
    from app.services.datasets import store
    from app.services.datasets.formats import Mapping
    return store.create_from_file(None if system else owner, owner, name=name, fmt=fmt, stream=io.BytesIO(
        jsonl_bytes(rows)), filename="rows.jsonl", mapping=Mapping(fmt))


def stored_counts() -> tuple[int, int]:
    """How many datasets and rows the database holds."""
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Dataset)),
            db.session.scalar(sa.select(sa.func.count()).select_from(DatasetRow)))


def current_row(dataset, key: str) -> DatasetRow:
    """The current row of ``dataset`` whose id is ``key``."""
    return db.session.scalar(sa.select(DatasetRow).where(DatasetRow.dataset_id == dataset.id,
                                                         DatasetRow.row_key == key, DatasetRow.valid_to.is_(None)))
