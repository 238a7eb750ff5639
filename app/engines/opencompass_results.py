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

import re
from pathlib import Path

from app.engines.base import Outcome
from app.engines.eval_inputs import read_indexed_jsonl, read_json
from app.engines.eval_samples import blank_sample, judged_values, rule_sample_values, rule_scored, store_samples

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


def _done(final: Path, tmp: Path) -> int:
    """How many items an OpenCompass inference wrote: its final JSON file, else its growing temporary JSONL."""
    if final.exists():
        found = read_json(final)
        return len(found) if isinstance(found, dict) else 0
    try:
        with open(tmp, "rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return 0


def answered(out: Path, abbr: str) -> int:
    """How many samples of ``abbr`` the model answered so far (cheap enough to call every second)."""
    base = out / "predictions" / MODEL_ABBR
    return _done(base / f"{abbr}.json", base / f"tmp_{abbr}.jsonl")


def judged(out: Path, abbr: str) -> int:
    """How many answers of the judged dataset ``abbr`` the judge has graded so far."""
    base = out / "results" / MODEL_ABBR
    if (base / f"{abbr}.json").exists():
        return len(scored(out, abbr))
    return _done(base / f"{abbr}_replica0.json", base / f"tmp_{abbr}_replica0.jsonl")


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


def _sample(run_id: int, subset: dict, position: int, row: dict, prediction, detail, failure) -> dict:
    values = blank_sample(run_id, subset, position, row)
    if prediction is None and detail is None:
        values["error"] = f"The model request failed: {failure}" if failure else "No answer from the model."
        return values
    values["prediction"] = prediction.get("prediction") if prediction else _first(detail.get("pred"))
    if rule_scored(subset):  # EvalHub's rule from the raw reply; OpenCompass's own extraction is ignored
        return rule_sample_values(values, subset, values["prediction"], row)
    if detail is None or "judge" not in detail:
        if failure:
            values["error"] = f"Not scored: the judge gave no verdict; the last request error logged: {failure}"
        else:
            values["error"] = "Not scored: OpenCompass did not finish scoring this dataset (see the log)."
        return values
    return judged_values(values, _first(detail.get("judge")))  # graded by the run's judge model


def collect_samples(run, work_dir: Path, manifest: dict, returncode, cancelled: bool, last_error) -> Outcome:
    """Replace the run's samples with what the files say now; set its summary and score."""
    out = output_dir(work_dir)
    failure = _model_error(work_dir)
    rows: list[dict] = []
    for subset in manifest["subsets"]:
        answers = predictions(out, subset["eval_subset"])
        details = scored(out, subset["eval_subset"])
        for position, row in enumerate(subset["rows"]):
            if cancelled and position not in answers and position not in details:
                continue  # not asked yet: resume will ask it
            rows.append(_sample(run.id, subset, position, row, answers.get(position), details.get(position),
                                failure))
    return store_samples(run, rows, manifest, returncode, cancelled, last_error)
