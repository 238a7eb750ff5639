"""Read evalscope's predictions and reviews into ``EvalSample`` rows and a summary per dataset and subset.

evalscope writes one prediction line per answered sample and one review line per scored sample, keyed by the
sample's index in its subset file (which EvalHub wrote, in manifest order). A sample with no prediction failed
at the model endpoint: evalscope logs "Processing item in subset='X' failed: <why>", which becomes its error.
"""
from __future__ import annotations

import re
from pathlib import Path

from app.engines.base import Outcome
from app.engines.eval_inputs import read_indexed_jsonl
from app.engines.eval_samples import (blank_sample, judge_rationale, judged_values, rule_sample_values, rule_scored,
                                      store_samples)

ITEM_FAILED = re.compile(r"Processing item in subset='([^']+)' failed: (.*?)(?:\x1b\[0m)?$")
BENCHMARK = {"mcq": "general_mcq", "qa": "general_qa"}


def task_of(subset: dict) -> str:
    """The evalscope task (and directory) of a manifest subset: ``mcq``, ``mcq_multi`` or ``qa``."""
    return subset.get("task") or subset["format"]


def _by_index(out: Path, kind: str, benchmark: str, eval_subset: str) -> dict[int, dict]:
    found: dict[int, dict] = {}
    # "*" also reads reviews an interrupted run left in evalscope's temporary "<file>.jsonl.rerun-<uuid>"
    for path in out.glob(f"{kind}/*/{benchmark}_{eval_subset}.jsonl*"):
        read_indexed_jsonl(path, "index", found)
    return found


def _failures(work_dir: Path) -> dict[str, str]:
    """Last logged model error per evalscope subset."""
    failures: dict[str, str] = {}
    try:
        text = (work_dir / "engine.log").read_text(errors="replace")
    except OSError:
        return failures
    for line in text.splitlines():
        match = ITEM_FAILED.search(line)
        if match:
            failures[match.group(1)] = match.group(2).strip()[:500]
    return failures


def _message(prediction: dict) -> tuple[str | None, dict]:
    output = prediction.get("model_output") or {}
    choices = output.get("choices") or [{}]
    message = choices[0].get("message") or {}
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content, message.get("perf_metrics") or {}


def _judge_reply(score: dict) -> str | None:
    """The judge's whole reply to this sample, as evalscope recorded it."""
    attempts = (score.get("metadata") or {}).get("judge_attempts") or []
    return next((a["raw_response"] for a in attempts if a.get("raw_response")), None)


def _judged(values: dict, score: dict, passing: float) -> dict:
    """Score a judged sample: evalscope's parsed verdict, else EvalHub's reading of the judge's raw reply (a judge
    answering "CORRECT" where evalscope wants JSON); a reply with no verdict is kept and shown, not dropped."""
    reply = _judge_reply(score)
    value = next(iter((score.get("value") or {}).values()), None)
    if value is None or score.get("status") not in (None, "success"):
        return judged_values(values, reply, (score.get("judge_summary") or {}).get("error") or "")
    values.update(score=float(value), extracted=score.get("extracted_prediction"),
                  verdict="correct" if float(value) >= passing else "wrong",
                  judge_rationale=judge_rationale(reply) or score.get("explanation"))
    return values


def _sample(run_id: int, subset: dict, position: int, row: dict, prediction, review, failure) -> dict:
    values = blank_sample(run_id, subset, position, row)
    if prediction is None:
        values["error"] = f"The model request failed: {failure}" if failure else "No answer from the model."
        return values
    content, perf = _message(prediction)
    values.update(prediction=content, latency_ms=(perf.get("latency") or 0) * 1000 or None,
                  prompt_tokens=perf.get("input_tokens"), completion_tokens=perf.get("output_tokens"))
    if rule_scored(subset):  # EvalHub's rule from the raw reply; evalscope's own extraction is ignored
        return rule_sample_values(values, subset, content, row)
    score = ((review or {}).get("sample_score") or {}).get("score") or {}
    if review is None:
        values["error"] = "Not scored: the judge gave no verdict"
        return values
    # a judge's numeric score counts from 0.5; an MCQ judged by a model must have full credit
    return _judged(values, score, 1.0 if subset["format"] == "mcq" else 0.5)


def collect_samples(run, work_dir: Path, manifest: dict, returncode, cancelled: bool, last_error) -> Outcome:
    """Replace the run's samples with what the files say now; set its summary and score."""
    failures = _failures(work_dir)
    rows: list[dict] = []
    for subset in manifest["subsets"]:
        out = work_dir / task_of(subset) / "out"
        bench = BENCHMARK[subset["format"]]
        predictions = _by_index(out, "predictions", bench, subset["eval_subset"])
        reviews = _by_index(out, "reviews", bench, subset["eval_subset"])
        for position, row in enumerate(subset["rows"]):
            if cancelled and position not in predictions:
                continue  # not asked yet: resume will ask it
            rows.append(_sample(run.id, subset, position, row, predictions.get(position),
                                reviews.get(position), failures.get(subset["eval_subset"])))
    return store_samples(run, rows, manifest, returncode, cancelled, last_error)
