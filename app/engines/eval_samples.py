"""Sample rows, progress and the per-dataset summary, the same for every accuracy engine.

While a run goes on, an engine turns each answer and verdict it writes into a sample dict (``blank_sample`` filled
in) and the worker stores it at once with ``upsert_samples`` (keyed by run, dataset, subset and position, so
reading a file again or resuming never stores a sample twice). A sample answered but not yet scored has the
verdict ``pending``. When the engine exits, ``finalize`` turns what is still missing into errors (a clean exit
only), and ``summarize_run`` scores the run from all its rows, whichever attempt and worker wrote them.
"""
from __future__ import annotations

import json
import re

import sqlalchemy as sa
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.engines.answer_rule import rule_sample
from app.engines.base import Outcome
from app.engines.drivers.judge_verdict import CORRECT, verdict
from app.engines.qa_rule import matches
from app.extensions import db
from app.models import EvalSample

KEY = ("run_id", "dataset_id", "subset", "position")


def blank_sample(run_id: int, subset: dict, position: int, row: dict) -> dict:
    """A sample of manifest ``subset`` not (yet) answered: verdict "error", no prediction."""
    return {"run_id": run_id, "dataset_id": subset["dataset_id"], "dataset_name": subset["dataset_name"],
            "subset": subset["subset"], "position": position, "row_key": (row.get("key") or None),
            "question": row["question"], "reference": row["reference"], "prediction": None, "extracted": None,
            "score": None, "verdict": "error", "judge_rationale": None, "latency_ms": None,
            "prompt_tokens": None, "completion_tokens": None, "judge_prompt_tokens": None,
            "judge_completion_tokens": None, "error": None, "engine_record": None,
            "decided_by": None}


def rule_scored(subset: dict) -> bool:
    """Whether a manifest subset's samples are scored by EvalHub's answer rule (MCQ not given to a judge)."""
    return subset["format"] == "mcq" and not subset.get("judged")


def rule_sample_values(values: dict, subset: dict, reply: str | None, row: dict) -> dict:
    """``values`` scored by the answer rule from the raw ``reply`` (``extracted`` None: no answer, scored 0)."""
    letters = subset.get("letters") or options_in(row["question"])
    values.update(rule_sample(reply, letters, row["reference"], bool(subset.get("multiple"))), decided_by="rule")
    return values


def answer_values(values: dict, subset: dict, reply: str | None, reference) -> dict:
    """An answer of a subset whose judge comes later (``answers_only``): correct by the QA rule when the subset is
    ``rule_first`` and the answer matches its reference, else ``pending`` (its judge reads it in the next stage)."""
    if subset.get("rule_first") and matches(reply, reference):
        values.update(verdict="correct", score=1.0, decided_by="rule")
    else:
        values["verdict"] = "pending"
    return values


def options_in(question: str) -> list[str]:
    """The option letters of a manifest row's question (``row_info`` lists them as "K. text" lines)."""
    return sorted(set(re.findall(r"^([A-Z])\. ", question, re.M)))


def not_scored(values: dict, reason: str) -> dict:
    """``values`` of a sample the model answered and no judge scored (no verdict in the reply, the judge's request
    failed, the engine stopped before judging): an error, but the judge's (``decided_by``), not the model's."""
    values.update(error=f"Not scored: {reason}", decided_by="judge")
    return values


def judged_values(values: dict, reply: str | None, why: str = "") -> dict:
    """``values`` scored from the judge's raw ``reply`` by EvalHub's verdict reader (the same on every engine); a
    reply without a verdict is kept (shown as the judge's reply) and the sample is not scored, saying so."""
    letter = verdict(reply)
    if letter is None:
        values["judge_rationale"] = reply
        return not_scored(values, ("the judge's reply holds no verdict (A or B)" if reply else "the judge gave no reply")
                          + (f": {why}" if why else "."))
    values.update(judge_rationale=judge_rationale(reply), score=1.0 if letter == CORRECT else 0.0,
                  verdict="correct" if letter == CORRECT else "wrong", decided_by="judge")
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


def upsert_samples(rows: list[dict]) -> None:
    """Insert the samples, or update the stored ones with the same key (run, dataset, subset, position)."""
    if not rows:
        return
    dialect = db.engine.dialect.name
    for start in range(0, len(rows), 200):
        chunk = rows[start:start + 200]
        if dialect == "mysql":
            stmt = mysql_insert(EvalSample).values(chunk)
            stmt = stmt.on_duplicate_key_update({c: stmt.inserted[c] for c in chunk[0] if c not in KEY})
        else:
            stmt = sqlite_insert(EvalSample).values(chunk)
            stmt = stmt.on_conflict_do_update(index_elements=list(KEY),
                                              set_={c: stmt.excluded[c] for c in chunk[0] if c not in KEY})
        db.session.execute(stmt)
    db.session.commit()


def finalize(run, manifest: dict, leftovers: list[dict], returncode, cancelled: bool, last_error) -> Outcome:
    """Store what an engine that ended by itself left unanswered or unscored (``leftovers``) as errors, each with
    its reason; score the run from its rows and say how it went. A cancelled or killed engine (a signal) leaves the
    missing samples missing. Resume asks again for missing samples and errors alike."""
    if returncode is not None and returncode >= 0 and not cancelled:
        upsert_samples(leftovers)
    summarize_run(run, manifest["shape"])
    overall = run.summary["overall"]
    expected = sum(s["total"] for s in manifest["shape"])
    if cancelled:
        return Outcome(True, note=f"Cancelled with {overall['n']} of {expected} samples stored; resume to finish.")
    if returncode != 0:
        return Outcome(False, error=(f"The engine stopped unexpectedly ({_exit(returncode)}) with {overall['scored']} "
                                     f"of {expected} samples scored; they are kept: resume to finish the rest."
                                     + (f"\n{last_error}" if last_error else "")))
    waiting = pending_count(run)
    if waiting and run.params.get("answers_only"):
        return Outcome(True, status="answered", note=f"{waiting} answers wait for a judge: re-judge this run to "
                                                      "score them (the model is not asked again).")
    if not overall["scored"]:
        return Outcome(False, error=last_error or "The engine finished without scoring any sample.")
    errors = expected - overall["scored"]
    unjudged = overall["unjudged"]
    note = " ".join(filter(None, [
        f"{errors - unjudged} of {expected} samples failed (see the samples marked error)." if errors > unjudged else "",
        f"{unjudged} answers were not scored: the judge gave no usable verdict (see its reply on each)."
        if unjudged else ""])) or None
    return Outcome(True, note=note)


def pending_count(run) -> int:
    """How many of the run's answers wait for their verdict."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(EvalSample).where(
        EvalSample.run_id == run.id, EvalSample.verdict == "pending"))


def _exit(returncode) -> str:
    if returncode is not None and returncode < 0:
        return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def progress_from_rows(run, shape: list[dict]) -> tuple[int, int, dict]:
    """(done, total, per dataset name [done, total]), counted from the rows: a sample with its verdict (or a final
    error) is done; an answer waiting for its verdict is half done when a judge still has to read it, done when a
    rule scores it (at once, when its dataset's inference ends) or when the run takes answers only."""
    judged = run.params.get("judge_mcq") and run.judge_endpoint_id
    later = run.params.get("answers_only")  # no judge in this run: an answer is all it waits for
    counts: dict[int, float] = {}
    for dataset_id, pending, n in db.session.execute(
            sa.select(EvalSample.dataset_id, EvalSample.verdict == "pending", sa.func.count())
            .where(EvalSample.run_id == run.id).group_by(EvalSample.dataset_id, EvalSample.verdict == "pending")):
        fmt = next((s["format"] for s in shape if s["dataset_id"] == dataset_id), "mcq")
        weight = 0.5 if pending and (fmt == "qa" or judged) and not later else 1.0
        counts[dataset_id] = counts.get(dataset_id, 0) + weight * n
    per: dict[str, list[int]] = {}
    seen = set()
    for s in shape:
        d = per.setdefault(s["dataset_name"], [0, 0])
        d[1] += s["total"]
        if s["dataset_id"] not in seen:
            seen.add(s["dataset_id"])
            d[0] += int(counts.get(s["dataset_id"], 0))
    return sum(d[0] for d in per.values()), sum(d[1] for d in per.values()), per


def summarize_run(run, shape: list[dict]) -> None:
    """Set the run's summary, score and error count from all its sample rows; commit."""
    rows = db.session.execute(sa.select(EvalSample.dataset_id, EvalSample.subset, EvalSample.verdict,
                                        EvalSample.score, EvalSample.decided_by)
                              .where(EvalSample.run_id == run.id)).all()
    run.summary = {**summarize([r._asdict() for r in rows], shape), "progress": (run.summary or {}).get("progress", {})}
    run.score = run.summary["overall"]["score"]
    run.sample_errors = run.summary["overall"]["errors"]
    db.session.commit()


def summarize(rows: list[dict], shape: list[dict]) -> dict:
    """Scores per dataset and subset: the mean score of the scored samples, with errors counted apart (a sample
    still pending counts as neither), and of those the ones the judge did not score (``unjudged``)."""
    datasets: dict[int, dict] = {}
    for s in shape:
        d = datasets.setdefault(s["dataset_id"], {"dataset_id": s["dataset_id"], "name": s["dataset_name"],
                                                  "format": s["format"], "subsets": {}})
        d["subsets"][s["subset"]] = {"name": s["subset"], "n": 0, "scored": 0, "sum": 0.0, "errors": 0,
                                     "unjudged": 0, "expected": s["total"]}
    for r in rows:
        sub = datasets.get(r["dataset_id"], {}).get("subsets", {}).get(r["subset"])
        if sub is None or r["verdict"] == "pending":
            continue
        sub["n"] += 1
        if r["verdict"] == "error":
            sub["errors"] += 1
            sub["unjudged"] += r.get("decided_by") == "judge"
        else:
            sub["scored"] += 1
            sub["sum"] += r["score"]

    def finish(parts: list[dict]) -> dict:
        scored = sum(p["scored"] for p in parts)
        total = sum(p["sum"] for p in parts)
        return {"n": sum(p["n"] for p in parts), "scored": scored, "errors": sum(p["errors"] for p in parts),
                "unjudged": sum(p["unjudged"] for p in parts), "score": round(total / scored, 6) if scored else None,
                "sum": total}

    out = []
    for d in datasets.values():
        subsets = [dict(s, score=round(s["sum"] / s["scored"], 6) if s["scored"] else None)
                   for s in d["subsets"].values()]
        out.append({**{k: d[k] for k in ("dataset_id", "name", "format")}, **finish(subsets), "subsets": subsets})
    return {"datasets": out, "overall": finish([s for d in out for s in d["subsets"]])}
