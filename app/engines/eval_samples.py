"""Sample rows and the per-dataset summary, the same for every accuracy engine.

An engine reads its own output files into one dict per sample (``blank_sample`` filled in) and hands them to
``store_samples``, which replaces the run's samples, sets its summary and score, and decides the outcome.
"""
from __future__ import annotations

import json
import re

import sqlalchemy as sa

from app.engines.answer_rule import rule_sample
from app.engines.base import Outcome
from app.engines.drivers.judge_verdict import CORRECT, verdict
from app.extensions import db
from app.models import EvalSample


def blank_sample(run_id: int, subset: dict, position: int, row: dict) -> dict:
    """A sample of manifest ``subset`` not (yet) answered: verdict "error", no prediction."""
    return {"run_id": run_id, "dataset_id": subset["dataset_id"], "dataset_name": subset["dataset_name"],
            "subset": subset["subset"], "position": position, "row_key": (row.get("key") or None),
            "question": row["question"], "reference": row["reference"], "prediction": None, "extracted": None,
            "score": None, "verdict": "error", "judge_rationale": None, "latency_ms": None,
            "prompt_tokens": None, "completion_tokens": None, "error": None}


def rule_scored(subset: dict) -> bool:
    """Whether a manifest subset's samples are scored by EvalHub's answer rule (MCQ not given to a judge)."""
    return subset["format"] == "mcq" and not subset.get("judged")


def rule_sample_values(values: dict, subset: dict, reply: str | None, row: dict) -> dict:
    """``values`` scored by the answer rule from the raw ``reply`` (``extracted`` None: no answer, scored 0)."""
    letters = subset.get("letters") or options_in(row["question"])
    values.update(rule_sample(reply, letters, row["reference"], bool(subset.get("multiple"))))
    return values


def options_in(question: str) -> list[str]:
    """The option letters of a manifest row's question (``row_info`` lists them as "K. text" lines)."""
    return sorted(set(re.findall(r"^([A-Z])\. ", question, re.M)))


def judged_values(values: dict, reply: str | None, why: str = "") -> dict:
    """``values`` scored from the judge's raw ``reply`` by EvalHub's verdict reader (the same on every engine); a
    reply without a verdict is kept (shown as the judge's reply) and the sample is not scored, saying so."""
    letter = verdict(reply)
    if letter is None:
        values["judge_rationale"] = reply
        values["error"] = ("Not scored: the judge's reply holds no verdict (A or B)" if reply
                           else "Not scored: the judge gave no reply") + (f": {why}" if why else ".")
        return values
    values.update(judge_rationale=judge_rationale(reply), score=1.0 if letter == CORRECT else 0.0,
                  verdict="correct" if letter == CORRECT else "wrong")
    return values


def judge_rationale(reply) -> str | None:
    """What a sample shows of its judge's reply: the "reasoning" (or "explanation") of a JSON reply, else all of it."""
    if not reply:
        return None
    try:
        parsed = json.loads(reply)
    except (TypeError, ValueError):
        return str(reply)
    if isinstance(parsed, dict):
        return str(parsed.get("reasoning") or parsed.get("explanation") or reply)
    return str(reply)


def store_samples(run, rows: list[dict], manifest: dict, returncode, cancelled: bool, last_error) -> Outcome:
    """Replace the run's samples with ``rows``; set its summary and score; say whether it succeeded."""
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
