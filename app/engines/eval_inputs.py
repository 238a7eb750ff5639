"""What every accuracy engine reads from a run: its pinned dataset rows, per subset, and helpers on its files.

The manifest (``manifest.json`` in a run's work directory) lists, for every engine subset, the dataset, subset and
rows it holds, in the order the engine's input file has them; results are matched back to rows by that position.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from app.extensions import db
from app.models import Dataset
from app.services.datasets.formats import LETTERS, answer_letters
from app.services.datasets.rows import iter_rows

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colour codes in engines' logs: not for a run's error


def safe(name: str) -> str:
    """A file-name-safe form of a subset name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40] or "default"


def engine_subset_name(selection: int, position: int, subset: str) -> str:
    """The engine's name (and input file stem) of a run's ``position``-th subset: unique per subset, since
    ``safe`` maps different names to one (``a.b`` and ``a b`` are both ``a_b``)."""
    return f"d{selection}_{position}_{safe(subset)}"


def pinned_subsets(run) -> Iterator[tuple[int, dict, Dataset, str, list[dict]]]:
    """(selection index, selection, dataset, subset, rows) for each subset of the run's pinned datasets."""
    for index, sel in enumerate(run.params["datasets"]):
        dataset = db.session.get(Dataset, sel["dataset_id"])
        by_subset: dict[str, list[dict]] = {}
        for record in iter_rows(dataset, sel["version"], sel.get("subsets") or None, sel.get("split")):
            rows = by_subset.setdefault(record["subset"], [])
            if not sel.get("limit") or len(rows) < sel["limit"]:
                rows.append(record)
        for subset, records in by_subset.items():
            yield index, sel, dataset, subset, records


def manifest_entry(fmt: str, eval_subset: str, dataset: Dataset, sel: dict, subset: str, records: list) -> dict:
    """What result readers need of a subset; MCQ adds its option ``letters`` and whether it is ``multiple``-answer
    (decided per subset: a multiple-answer row elsewhere in the run changes nothing here)."""
    entry = {"format": fmt, "eval_subset": eval_subset, "dataset_id": dataset.id, "dataset_name": sel["name"],
             "subset": subset, "rows": [row_info(fmt, r) for r in records]}
    if fmt == "mcq":
        entry.update(letters=mcq_letters(records), multiple=is_multiple(records))
    return entry


def is_multiple(records: list[dict]) -> bool:
    """Whether any of these MCQ rows has several right options (then all are asked and scored as such)."""
    return any(len(answer_letters(r["answer"]) or []) > 1 for r in records)


def row_info(fmt: str, record: dict) -> dict:
    """What a sample row shows of its input: the question (with the options) and the reference."""
    if fmt == "mcq":
        options = "\n".join(f"{k}. {record[k]}" for k in LETTERS if record.get(k) not in (None, ""))
        return {"key": record.get("id"), "question": f"{record['question']}\n{options}",
                "reference": "".join(answer_letters(record["answer"]) or [])}
    return {"key": record.get("id"), "question": record["question"], "reference": str(record["answer"])}


def mcq_letters(records: list[dict]) -> list[str]:
    """The option letters any of ``records`` uses."""
    return [k for k in LETTERS if any(r.get(k) not in (None, "") for r in records)]


def first_answer(record: dict) -> str:
    """The (first) right option letter of an MCQ row."""
    return "".join(answer_letters(record["answer"]) or [])[:1]


def qa_question(record: dict) -> str:
    return record["question"] if not record.get("context") else f"{record['context']}\n\n{record['question']}"


def read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_indexed_jsonl(path: Path, key: str, into: dict[int, dict]) -> dict[int, dict]:
    """Add each line of the JSONL file ``path`` to ``into`` under its integer ``key`` (the first line of an index
    wins); a missing file adds nothing, and a line cut by a kill mid-write is skipped."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    item = json.loads(line)
                    into.setdefault(int(item[key]), item)
                except (ValueError, KeyError, TypeError):
                    continue
    except OSError:
        pass
    return into


def last_error(work_dir: Path, log_file: str = "engine.log") -> str | None:
    """The engine's last error lines (without colour codes), for a failed run's page."""
    try:
        lines = (work_dir / log_file).read_text(errors="replace").splitlines()
    except OSError:
        return None
    picked = [ANSI.sub("", ln) for ln in lines if re.search(r"Error|ERROR|Traceback|failed", ln)]
    return "\n".join(picked[-8:])[-2000:] or None
