"""What every accuracy engine reads from a run: its pinned dataset rows, per subset, and helpers on its files.

The manifest (``manifest.json`` in an attempt's work directory) lists, for every engine subset, the dataset, subset
and rows it holds, in the order the engine's input file has them; each row carries its ``position`` in the subset
(the sample's key), so results are matched back to rows by their index in the file. An attempt exports only the
rows the database does not hold a verdict for (``plan``): resume, on any worker, asks the engine only for what is
missing, and replays a stored answer that still needs its verdict into the engine's cache.
"""
from __future__ import annotations

import json
import re

import sqlalchemy as sa
from collections.abc import Iterator
from pathlib import Path

from app.extensions import db
from app.models import Dataset, EvalSample
from app.services.datasets.formats import LETTERS, answer_letters
from app.services.datasets.rows import iter_rows

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colour codes in engines' logs: not for a run's error


def safe(name: str) -> str:
    """A file-name-safe form of a subset name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_")[:40] or "default"


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


def first_stage(run) -> str:
    """The stage an attempt starts with: ``judge`` (a re-judge: only stored answers, to the judge), ``answers`` (the
    model answers, judged subsets wait: answers only, rule first and the judge next, or a judge panel, which judges
    in the worker after the engine: a panel's re-judge replays the stored answers and asks no one) or ``full``."""
    panel = bool(run.params.get("panel"))
    if run.parent_run_id and not panel:
        return "judge"
    if run.params.get("answers_only") or panel or (run.params.get("rule_first") and run.judge_endpoint_id):
        return "answers"
    return "full"


def plan(run, with_records: bool = False, judge_only: bool = False) -> Iterator[tuple]:
    """What this attempt must send the engine: (engine subset name, selection index, selection, dataset, subset,
    [(position, record, stored engine record or None)], rows in the subset) for each subset (``todo`` is empty
    when the subset is done), and all the subset's records at the end when ``with_records``.

    A row with a verdict (correct or wrong) is done; any other row is exported, with the engine's record of its
    stored answer when there is one (the engine then only scores it); ``judge_only`` exports only rows with a stored
    answer (the model is asked nothing: the judge stage of a run; a re-judge, always). Engine subset names are unique per subset
    (``d<selection>s<k>_<name>``), so subsets whose names differ only in punctuation never share a file.
    """
    stored = {(s.dataset_id, s.subset, s.position): (s.verdict, s.engine_record) for s in db.session.execute(
        sa.select(EvalSample.dataset_id, EvalSample.subset, EvalSample.position, EvalSample.verdict,
                  EvalSample.engine_record).where(EvalSample.run_id == run.id))}
    judge_only = judge_only or bool(run.parent_run_id)  # a re-judge never asks its model
    counter: dict[int, int] = {}
    for index, sel, dataset, subset, records in pinned_subsets(run):
        k = counter[index] = counter.get(index, -1) + 1
        todo = []
        for position, record in enumerate(records):
            verdict, engine_record = stored.get((dataset.id, subset, position), (None, None))
            if verdict not in ("correct", "wrong") and (engine_record or not judge_only):
                todo.append((position, record, engine_record))
        item = (f"d{index}s{k}_{safe(subset)}", index, sel, dataset, subset, todo, len(records))
        yield (*item, records) if with_records else item


def manifest_entry(fmt: str, eval_subset: str, dataset: Dataset, sel: dict, subset: str,
                   todo: list[tuple[int, dict, str | None]], total: int, records: list[dict] | None = None) -> dict:
    """What result readers need of a subset; MCQ adds its option ``letters`` and whether it is ``multiple``-answer
    (decided per subset, from all its ``records``: a multiple-answer row elsewhere in the run changes nothing here)."""
    entry = {"format": fmt, "eval_subset": eval_subset, "dataset_id": dataset.id, "dataset_name": sel["name"],
             "subset": subset, "total": total,
             "rows": [dict(row_info(fmt, r), position=position) for position, r, _rec in todo]}
    if fmt == "mcq":
        mine = records if records is not None else [r for _p, r, _rec in todo]
        entry.update(letters=mcq_letters(mine), multiple=is_multiple(mine))
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


class JsonlTail:
    """Reads only the complete lines appended to JSONL files since the last call (an engine's growing outputs)."""

    def __init__(self):
        self._offsets: dict[Path, int] = {}

    def new(self, path: Path) -> list[dict]:
        """New complete lines of ``path`` parsed as JSON (a line that does not parse is skipped)."""
        offset = self._offsets.get(path, 0)
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except OSError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self._offsets[path] = offset + end + 1
        items = []
        for line in data[:end].splitlines():
            try:
                items.append(json.loads(line))
            except ValueError:
                continue
        return items


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
