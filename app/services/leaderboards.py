"""Leaderboards: for one dataset, the models evaluated on it ranked by score with a 95% interval and rank ties.

Only comparable runs share a board: the same dataset version and the same sample set (subsets, split, limit). The
board's sample set is the one most models were run on; a model's run on another set is listed apart, saying why.
A user sees their own runs and published ones (``eval_sharing.readable_filter``).
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Dataset, EvalRun, EvalRunDataset, EvalSample, User
from app.services import quality_speed, run_costs, stats
from app.services.eval_reports import SCORED
from app.services.datasets import catalog
from app.services.eval_sharing import readable_filter


def _candidates(user: User, dataset: Dataset) -> list[tuple[EvalRun, EvalRunDataset]]:
    """Succeeded runs on the dataset the user may read, newest first, with their selection of it."""
    query = (sa.select(EvalRun, EvalRunDataset).join(EvalRunDataset, EvalRunDataset.run_id == EvalRun.id)
             .where(EvalRunDataset.dataset_id == dataset.id, EvalRun.status == "succeeded", readable_filter(user))
             .order_by(EvalRun.finished_at.desc(), EvalRun.id.desc()))
    return [tuple(row) for row in db.session.execute(query)]


def model_key(run: EvalRun) -> str:
    """Which model a run measured: its endpoint (by name once the endpoint is deleted)."""
    return f"id:{run.endpoint_id}" if run.endpoint_id else f"name:{run.endpoint_name}"


def _board_set(candidates) -> tuple | None:
    """The sample set most models were run on (ties: the newer version, then the newest run)."""
    models = defaultdict(set)
    for run, sel in candidates:
        models[sel.sample_set].add(model_key(run))
    if not models:
        return None
    order = {s: i for i, s in reversed(list(enumerate(sel.sample_set for _r, sel in candidates)))}
    return max(models, key=lambda s: (len(models[s]), s[0], -order[s]))


def describe(sample_set: tuple) -> str:
    """A sample set in words: version, subsets, split, limit."""
    version, subsets, split, limit = sample_set
    return str(_l("version %(v)s · subsets: %(subsets)s · split: %(split)s · limit: %(limit)s", v=version,
                  subsets=subsets.replace(",", ", ") or _l("all"), split=split or _l("all"),
                  limit=limit or _l("none")))


def _why_apart(sample_set: tuple, board: tuple) -> str:
    parts = []
    if sample_set[0] != board[0]:
        parts.append(_l("another dataset version (%(v)s; the board: %(b)s)", v=sample_set[0], b=board[0]))
    if sample_set[1] != board[1]:
        parts.append(_l("other subsets"))
    if sample_set[2] != board[2]:
        parts.append(_l("another split"))
    if sample_set[3] != board[3]:
        parts.append(_l("another sample limit"))
    return "; ".join(str(p) for p in parts)


def _scores(run_ids: list[int], dataset_id: int, subset: str | None) -> dict[int, list[float]]:
    query = (sa.select(EvalSample.run_id, EvalSample.score)
             .where(EvalSample.run_id.in_(run_ids), EvalSample.dataset_id == dataset_id,
                    SCORED)
             .order_by(EvalSample.run_id, EvalSample.subset, EvalSample.position))
    if subset:
        query = query.where(EvalSample.subset == subset)
    out: dict[int, list[float]] = {i: [] for i in run_ids}
    for run_id, score in db.session.execute(query):
        out[run_id].append(score)
    return out


def _row(run: EvalRun, sel: EvalRunDataset, user: User, choices: list[EvalRun], owners: dict[int, str]) -> dict:
    return {"model": run.endpoint_name, "model_key": model_key(run), "endpoint_id": run.endpoint_id,
            "run_id": run.id, "judge": run.judge_name,
            "version": sel.version, "sample_set": describe(sel.sample_set), "mine": run.owner_id == user.id,
            "published": run.published, "owner": owners.get(run.owner_id) if run.owner_id != user.id else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "other_runs": [r.id for r in choices if r.id != run.id]}


def _costs(rows: list[tuple[EvalRun, dict]], dataset: Dataset, subset: str | None) -> dict:
    """Set each row's ``tokens`` (on this dataset / subset) and ``cost_per_1k`` (None when unknown); the runs'
    model and judge endpoints by id."""
    runs = [run for run, _row in rows]
    tokens = run_costs.tokens_by_run(runs, dataset.id, subset)
    endpoints = run_costs.endpoints_of(runs)
    for run, row in rows:
        row["tokens"] = tokens[run.id]
        cost = run_costs.cost(run, tokens[run.id], endpoints)
        row["cost_per_1k"] = run_costs.per_thousand(cost, tokens[run.id]["samples"])
        row["speed"] = None
    return endpoints


def board(user: User, dataset: Dataset, picked: list[int] | None = None, subset: str | None = None,
          speed: str | None = None, concurrency: int | None = None) -> dict:
    """The leaderboard of ``dataset`` as ``user`` sees it: per model the latest succeeded run on the board's sample
    set (or the run ``picked`` for it), its score on the dataset (or on ``subset``) with a 95% interval (Wilson for
    0/1 scores, a seeded bootstrap otherwise), n, judge, version, rank with ties, tokens, cost per 1,000 samples
    and a ``speed`` figure (``quality_speed``: metric ``speed`` at ``concurrency``); runs on other sample sets
    apart, each with its reason."""
    candidates = _candidates(user, dataset)
    board_set = _board_set(candidates)
    by_model: dict[str, list[tuple[EvalRun, EvalRunDataset]]] = defaultdict(list)
    for run, sel in candidates:
        by_model[model_key(run)].append((run, sel))
    picked_ids = set(picked or [])
    owners = dict(db.session.execute(sa.select(User.id, User.username).where(
        User.id.in_({run.owner_id for run, _s in candidates}))).all())
    rows, apart = [], []
    for key, runs in by_model.items():
        chosen = next((c for c in runs if c[0].id in picked_ids), None) \
            or next((c for c in runs if c[1].sample_set == board_set), runs[0])
        row = _row(*chosen, user, [r for r, _s in runs], owners)
        if chosen[1].sample_set == board_set:
            rows.append((chosen[0], row))
        else:
            apart.append({**row, "reason": _why_apart(chosen[1].sample_set, board_set)})
    scores = _scores([run.id for run, _row in rows], dataset.id, subset)
    for run, row in rows:
        row.update(stats.mean_interval(scores[run.id], seed=run.id))
    ranked = sorted((row for _run, row in rows if row["n"]), key=lambda r: -r["score"])
    for row, rank in zip(ranked, stats.rank_with_ties([tuple(r["ci"]) for r in ranked])):
        row["rank"] = rank
    endpoints = _costs(rows, dataset, subset)
    models = {run.endpoint_id: endpoints[run.endpoint_id] for run, _row in rows if run.endpoint_id in endpoints}
    chart = quality_speed.speeds(ranked, quality_speed.latest_benchmarks(user, models),
                                 speed or quality_speed.DEFAULT_METRIC, concurrency)
    subsets = sorted({s["name"] for run, _row in rows for d in (run.summary or {}).get("datasets", [])
                      if d["dataset_id"] == dataset.id for s in d["subsets"]})
    return {"dataset": {"id": dataset.id, "name": dataset.name, "format": dataset.format,
                        "current_version": dataset.current_version},
            "sample_set": describe(board_set) if board_set else None, "subset": subset, "subsets": subsets,
            "rows": ranked, "unscored": [row for _run, row in rows if not row["n"]], "apart": apart,
            "quality_speed": chart}


def datasets_with_runs(user: User) -> list[tuple[Dataset, int]]:
    """Datasets ``user`` may see that have succeeded runs they may read, with how many models were run on each."""
    counted = dict(db.session.execute(
        sa.select(EvalRunDataset.dataset_id, sa.func.count(sa.distinct(EvalRun.endpoint_name)))
        .join(EvalRun, EvalRun.id == EvalRunDataset.run_id)
        .where(EvalRun.status == "succeeded", readable_filter(user)).group_by(EvalRunDataset.dataset_id)).all())
    datasets = db.session.scalars(catalog.visible(user).where(Dataset.id.in_(counted)).order_by(Dataset.name))
    return [(d, counted[d.id]) for d in datasets]


def parse_picks(values: list[str]) -> list[int]:
    """Run ids picked instead of a model's latest (``run=12,15`` and/or ``run=12&run=15``); ``ValueError`` when
    one is not a number."""
    try:
        return [int(part) for value in values for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValueError("run must be run ids separated by commas, e.g. run=12,15") from None
