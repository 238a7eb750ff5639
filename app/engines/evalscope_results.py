"""Read evalscope's predictions and reviews into ``EvalSample`` rows and a summary per dataset and subset.

evalscope writes one prediction line per answered sample and one review line per scored sample, keyed by the
sample's index in its subset file (which EvalHub wrote, in manifest order). A sample with no prediction failed
at the model endpoint: evalscope logs "Processing item in subset='X' failed: <why>", which becomes its error.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa

from app.engines.base import Outcome
from app.extensions import db
from app.models import EvalSample

ITEM_FAILED = re.compile(r"Processing item in subset='([^']+)' failed: (.*?)(?:\x1b\[0m)?$")
BENCHMARK = {"mcq": "general_mcq", "qa": "general_qa"}


def _by_index(out: Path, kind: str, benchmark: str, eval_subset: str) -> dict[int, dict]:
    found: dict[int, dict] = {}
    # "*" also reads reviews an interrupted run left in evalscope's temporary "<file>.jsonl.rerun-<uuid>"
    for path in out.glob(f"{kind}/*/{benchmark}_{eval_subset}.jsonl*"):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    item = json.loads(line)
                    found.setdefault(int(item["index"]), item)
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut by a kill mid-write
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


def _rationale(score: dict) -> str | None:
    attempts = (score.get("metadata") or {}).get("judge_attempts") or []
    for attempt in attempts:
        raw = attempt.get("raw_response")
        if not raw:
            continue
        try:
            parsed = json.loads(raw)
            if isinstance(parsed, dict):
                return str(parsed.get("reasoning") or parsed.get("explanation") or raw)
        except ValueError:
            return str(raw)
    return score.get("explanation")


def _sample(run_id: int, subset: dict, position: int, row: dict, prediction, review, failure) -> dict:
    values = {"run_id": run_id, "dataset_id": subset["dataset_id"], "dataset_name": subset["dataset_name"],
              "subset": subset["subset"], "position": position, "row_key": (row.get("key") or None),
              "question": row["question"], "reference": row["reference"], "prediction": None, "extracted": None,
              "score": None, "verdict": "error", "judge_rationale": None, "latency_ms": None,
              "prompt_tokens": None, "completion_tokens": None, "error": None}
    if prediction is None:
        values["error"] = f"The model request failed: {failure}" if failure else "No answer from the model."
        return values
    content, perf = _message(prediction)
    values.update(prediction=content, latency_ms=(perf.get("latency") or 0) * 1000 or None,
                  prompt_tokens=perf.get("input_tokens"), completion_tokens=perf.get("output_tokens"))
    score = ((review or {}).get("sample_score") or {}).get("score") or {}
    value = next(iter((score.get("value") or {}).values()), None)
    if review is None or value is None or score.get("status") not in (None, "success"):
        judge_error = ((score.get("judge_summary") or {}).get("error")) if score else None
        values["error"] = f"Not scored: {judge_error or 'the judge gave no verdict'}"
        return values
    values.update(score=float(value), extracted=score.get("extracted_prediction"),
                  verdict="correct" if float(value) >= 0.5 else "wrong", judge_rationale=_rationale(score))
    return values


def collect_samples(run, work_dir: Path, manifest: dict, returncode, cancelled: bool, last_error) -> Outcome:
    """Replace the run's samples with what the files say now; set its summary and score."""
    failures = _failures(work_dir)
    rows: list[dict] = []
    for subset in manifest["subsets"]:
        out = work_dir / subset["format"] / "out"
        bench = BENCHMARK[subset["format"]]
        predictions = _by_index(out, "predictions", bench, subset["eval_subset"])
        reviews = _by_index(out, "reviews", bench, subset["eval_subset"])
        for position, row in enumerate(subset["rows"]):
            if cancelled and position not in predictions:
                continue  # not asked yet: resume will ask it
            rows.append(_sample(run.id, subset, position, row, predictions.get(position),
                                reviews.get(position), failures.get(subset["eval_subset"])))
    db.session.execute(sa.delete(EvalSample).where(EvalSample.run_id == run.id))
    for start in range(0, len(rows), 500):
        db.session.execute(sa.insert(EvalSample), rows[start:start + 500])
    run.summary = {**summarize(rows, manifest), "progress": (run.summary or {}).get("progress", {})}
    run.score = run.summary["overall"]["score"]
    run.sample_errors = run.summary["overall"]["errors"]
    db.session.commit()
    expected = sum(len(s["rows"]) for s in manifest["subsets"])
    scored = sum(1 for r in rows if r["verdict"] != "error")
    if cancelled:
        return Outcome(True, note=f"Cancelled with {len(rows)} of {expected} samples answered; resume to finish.")
    if not rows or scored == 0:
        return Outcome(False, error=last_error or f"The engine exited with code {returncode} and scored nothing.")
    errors = expected - scored
    note = f"{errors} of {expected} samples failed (see the samples marked error)." if errors else None
    return Outcome(True, note=note)


def summarize(rows: list[dict], manifest: dict) -> dict:
    """Scores per dataset and subset: the mean score of the scored samples, with errors counted apart."""
    datasets: dict[int, dict] = {}
    for s in manifest["subsets"]:
        d = datasets.setdefault(s["dataset_id"], {"dataset_id": s["dataset_id"], "name": s["dataset_name"],
                                                  "format": s["format"], "subsets": {}})
        d["subsets"][s["subset"]] = {"name": s["subset"], "n": 0, "scored": 0, "sum": 0.0, "errors": 0,
                                     "expected": len(s["rows"])}
    for r in rows:
        sub = datasets[r["dataset_id"]]["subsets"][r["subset"]]
        sub["n"] += 1
        if r["verdict"] == "error":
            sub["errors"] += 1
        else:
            sub["scored"] += 1
            sub["sum"] += r["score"]

    def finish(parts: list[dict]) -> dict:
        scored = sum(p["scored"] for p in parts)
        total = sum(p["sum"] for p in parts)
        return {"n": sum(p["n"] for p in parts), "scored": scored, "errors": sum(p["errors"] for p in parts),
                "score": round(total / scored, 6) if scored else None, "sum": total}

    out = []
    for d in datasets.values():
        subsets = [dict(s, score=round(s["sum"] / s["scored"], 6) if s["scored"] else None)
                   for s in d["subsets"].values()]
        out.append({**{k: d[k] for k in ("dataset_id", "name", "format")}, **finish(subsets), "subsets": subsets})
    return {"datasets": out, "overall": finish([s for d in out for s in d["subsets"]])}
