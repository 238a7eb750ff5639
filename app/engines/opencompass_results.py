"""Read OpenCompass's predictions and results into ``EvalSample`` rows and a summary per dataset and subset.

Under ``out/evalhub`` OpenCompass writes, per dataset abbreviation (``d<i>_<subset>``, one per manifest subset):
``predictions/<model>/tmp_<abbr>.jsonl`` while it infers (one line per answered sample, ``idx`` = row index),
``predictions/<model>/<abbr>.json`` when inference finished, and ``results/<model>/<abbr>.json`` with the accuracy
and per-sample ``details`` once scored. The judge of a judged (QA) dataset writes
``results/<model>/tmp_<abbr>_replica0.jsonl`` while it judges, then ``<abbr>_replica0.json``; such details carry the
judge's verdict letter and whole reply (``drivers/opencompass_judge.py``). OpenCompass's exit code says nothing (it
exits 0 when tasks fail), so a dataset without results is a failed dataset: its samples become errors with the last
error OpenCompass logged.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from app.engines.eval_inputs import JsonlTail, read_indexed_jsonl, read_json
from app.engines.eval_samples import (answer_values, blank_sample, judged_values, not_scored, rule_sample_values,
                                      rule_scored)

MODEL_ABBR = "evalhub-model"
MODEL_ERRORS = (re.compile(r"Error code: \d+.*"), re.compile(r"Connection error.*|APIConnectionError.*"),
                re.compile(r"Calling OpenAI API failed.*"))  # the most telling first


def output_dir(work_dir: Path) -> Path:
    return work_dir / "out" / "evalhub"


def predictions(out: Path, abbr: str) -> dict[int, dict]:
    """Answered samples by row index: the finished predictions file, else the growing temporary one."""
    found = read_json(out / "predictions" / MODEL_ABBR / f"{abbr}.json")
    if isinstance(found, dict):
        return {int(k): v for k, v in found.items() if str(k).isdigit()}
    return read_indexed_jsonl(out / "predictions" / MODEL_ABBR / f"tmp_{abbr}.jsonl", "idx", {})


def scored(out: Path, abbr: str) -> dict[int, dict]:
    """Per-sample details of the results file by row index; empty when the dataset was not scored."""
    result = read_json(out / "results" / MODEL_ABBR / f"{abbr}.json") or {}
    details = result.get("details") or []
    if isinstance(details, dict):
        details = [details[k] for k in sorted(details, key=lambda k: int(k) if str(k).isdigit() else 0)]
    by_index = {}
    for position, item in enumerate(details):
        tail = str(item.get("example_abbr", "")).rsplit("_", 1)[-1]
        by_index[int(tail) if tail.isdigit() else position] = item
    return by_index


def _first(value):
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def _model_error(work_dir: Path) -> str | None:
    """The last model request error OpenCompass logged."""
    try:
        text = (work_dir / "engine.log").read_text(errors="replace")
    except OSError:
        return None
    for pattern in MODEL_ERRORS:
        found = pattern.findall(text)
        if found:
            return found[-1].strip()[:500]
    return None


def sample(run_id: int, subset: dict, row: dict, prediction, detail, failure, final: bool) -> dict:
    """The sample row for manifest ``row`` from its prediction entry and scored detail (either may be missing).
    Before the engine is done (``final`` False) an answer without a verdict is ``pending``; after, an error."""
    values = blank_sample(run_id, subset, row["position"], row)
    if prediction is None and detail is None:
        values["error"] = f"The model request failed: {failure}" if failure else "No answer from the model."
        return values
    if prediction is not None:
        record = {k: v for k, v in prediction.items() if k != "idx"}
        values["engine_record"] = json.dumps(record, ensure_ascii=False)
    values["prediction"] = prediction.get("prediction") if prediction else _first(detail.get("pred"))
    if rule_scored(subset):  # EvalHub's rule from the raw reply; OpenCompass's own extraction is ignored
        return rule_sample_values(values, subset, values["prediction"], row)
    if subset.get("answers_only") and prediction is not None:  # its judge comes later
        return answer_values(values, subset, values["prediction"], row["reference"])
    if detail is None or "judge" not in detail:
        if not final:
            values["verdict"] = "pending"
        elif failure:
            not_scored(values, f"the judge gave no verdict; the last request error logged: {failure}")
        else:
            not_scored(values, "OpenCompass did not finish scoring this dataset (see the log).")
        return values
    return judged_values(values, _first(detail.get("judge")))  # graded by the run's judge model


class Reader:
    """Follows an attempt's OpenCompass outputs: answers as its inference appends them, verdicts when a dataset's
    results file appears. ``new_samples()`` gives the changed sample rows; ``leftovers()`` what a clean exit left."""

    def __init__(self, run_id: int, work_dir: Path, manifest: dict):
        self.run_id, self.work_dir, self.manifest = run_id, work_dir, manifest
        self.out = output_dir(work_dir)
        self.tail = JsonlTail()
        self.subsets = {s["eval_subset"]: s for s in manifest["subsets"]}
        self.answers = {name: {} for name in self.subsets}
        self.details: dict[str, dict] = {}
        self.finished: set[str] = set()

    def new_samples(self) -> list[dict]:
        touched: set[tuple[str, int]] = set()
        for name in self.subsets:
            answers = self.answers[name]
            for item in self.tail.new(self.out / "predictions" / MODEL_ABBR / f"tmp_{name}.jsonl"):
                if str(item.get("idx", "")).isdigit():
                    answers[int(item["idx"])] = item
                    touched.add((name, int(item["idx"])))
            if name not in self.finished and (self.out / "predictions" / MODEL_ABBR / f"{name}.json").exists():
                self.finished.add(name)  # inference done: the temporary file became the predictions file
                for index, entry in predictions(self.out, name).items():
                    answers.setdefault(index, entry)
                    touched.add((name, index))
            if name not in self.details and (self.out / "results" / MODEL_ABBR / f"{name}.json").exists():
                self.details[name] = scored(self.out, name)
                touched.update((name, i) for i in range(len(self.subsets[name]["rows"])))
        rows = []
        for name, index in sorted(touched):
            subset = self.subsets[name]
            if index >= len(subset["rows"]):
                continue
            prediction, detail = self.answers[name].get(index), self.details.get(name, {}).get(index)
            if prediction is None and detail is None:
                continue
            rows.append(sample(self.run_id, subset, subset["rows"][index], prediction, detail, None, final=False))
        return rows

    def leftovers(self) -> list[dict]:
        failure = _model_error(self.work_dir)
        rows = []
        for name, subset in self.subsets.items():
            for index, row in enumerate(subset["rows"]):
                detail = self.details.get(name, {}).get(index)
                if detail is None and not ((rule_scored(subset) or subset.get("answers_only"))
                                           and self.answers[name].get(index) is not None):
                    rows.append(sample(self.run_id, subset, row, self.answers[name].get(index), None, failure,
                                       final=True))
        return rows
