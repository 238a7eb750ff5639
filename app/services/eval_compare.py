"""Comparing runs on the same dataset: scores side by side, a paired verdict for each pair of runs on the samples
they share, and the samples they disagree on."""
from __future__ import annotations

from itertools import combinations

import sqlalchemy as sa

from app.extensions import db
from app.models import EvalRun, EvalSample
from app.services import stats
from app.services.eval_reports import SCORED

MAX_RUNS = 5


def parse_ids(values: list[str]) -> list[int]:
    """Run ids from ``runs=1,2`` and/or ``runs=1&runs=2``: 2 to 5 distinct ids, oldest (lowest) first whatever
    the order they came in, so each pair reads older → newer; ``ValueError`` otherwise."""
    try:
        ids = [int(part) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValueError("runs must be run ids separated by commas, e.g. runs=12,15") from None
    ids = sorted(set(ids))
    if not 2 <= len(ids) <= MAX_RUNS:
        raise ValueError(f"Give 2 to {MAX_RUNS} different run ids, e.g. runs=12,15")
    return ids


def run_entry(run: EvalRun) -> dict:
    """What names a run in a comparison: its id, model and judge (a panel's names joined with " + ", as
    ``panel.settle`` stores them; None when rules scored it)."""
    return {"run_id": run.id, "model": run.endpoint_name, "judge": run.judge_name}


def _score_table(run_list: list[EvalRun]) -> list[dict]:
    table: dict[tuple, dict] = {}
    for i, run in enumerate(run_list):
        for d in (run.summary or {}).get("datasets", []):
            for s in d["subsets"]:
                table.setdefault((d["dataset_id"], d["name"], s["name"]), {})[i] = s["score"]
    return [{"dataset": name, "subset": subset, "scores": [table[(ds, name, subset)].get(i)
                                                           for i in range(len(run_list))]}
            for ds, name, subset in sorted(table, key=lambda k: (k[1], k[2]))]


def _scores(run_list: list[EvalRun]) -> dict[int, dict[tuple, float]]:
    """Each run's scored samples: (dataset id, subset, position) → score."""
    query = (sa.select(EvalSample.run_id, EvalSample.dataset_id, EvalSample.subset, EvalSample.position,
                       EvalSample.score)
             .where(EvalSample.run_id.in_([r.id for r in run_list]), SCORED))
    out: dict[int, dict[tuple, float]] = {r.id: {} for r in run_list}
    for run_id, ds, subset, pos, score in db.session.execute(query):
        out[run_id][(ds, subset, pos)] = score
    return out


def pairs(run_list: list[EvalRun]) -> list[dict]:
    """For each pair (A listed before B: the older run, ``run_list`` being oldest first): counts of both right /
    only A / only B / both wrong on the samples both scored, ``diff`` = B - A with its 95% interval, ``p_value`` and ``verdict`` (see ``stats.compare_paired``)."""
    scores = _scores(run_list)
    out = []
    for a, b in combinations(run_list, 2):
        shared = sorted(scores[a.id].keys() & scores[b.id].keys())
        result = stats.compare_paired([scores[a.id][k] for k in shared], [scores[b.id][k] for k in shared])
        out.append({"a": run_entry(a), "b": run_entry(b), **result})
    return out


def _disagreements(run_list: list[EvalRun]) -> list[dict]:
    ids = [r.id for r in run_list]
    verdicts = (sa.select(EvalSample.dataset_id, EvalSample.subset, EvalSample.position, EvalSample.run_id,
                          EvalSample.verdict, EvalSample.question, EvalSample.reference, EvalSample.prediction)
                .where(EvalSample.run_id.in_(ids)))
    grouped: dict[tuple, dict] = {}
    for ds, subset, pos, run_id, verdict, question, reference, prediction in db.session.execute(verdicts):
        g = grouped.setdefault((ds, subset, pos), {"question": question, "reference": reference, "by_run": {}})
        g["by_run"][run_id] = {"verdict": verdict, "prediction": prediction}
    out = []
    for key in sorted(grouped):
        g = grouped[key]
        if len(g["by_run"]) == len(ids) and len({v["verdict"] for v in g["by_run"].values()}) > 1:
            out.append({"dataset_id": key[0], "subset": key[1], "position": key[2], "question": g["question"],
                        "reference": g["reference"], "answers": [g["by_run"][i] for i in ids]})
    return out


def compare(run_list: list[EvalRun], limit: int = 200) -> dict:
    """Scores side by side per dataset/subset, paired verdicts, and the samples (same dataset, subset, position)
    the runs disagree on (the first ``limit`` of them), the runs in the order of ``run_list``."""
    rows = _score_table(run_list)
    disagreements = _disagreements(run_list)
    return {"runs": [{**run_entry(r), "score": r.score} for r in run_list],
            "rows": rows, "common": sum(1 for r in rows if None not in r["scores"]),
            "pairs": pairs(run_list), "disagreements": disagreements[:limit],
            "disagreement_count": len(disagreements)}
