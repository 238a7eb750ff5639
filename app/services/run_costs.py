"""Tokens and cost of evaluation runs, summed from their samples as the engine reported each request's usage.

evalscope reports the model's usage per answer and the judge's per judge request (every attempt); OpenCompass
reports neither (its API model returns text only), so its runs' tokens, and their cost, are unknown. A cost is
tokens × the model's (and the judge's) price per million input / output tokens: unknown, never 0, when a price or
the tokens it needs are missing.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import EvalJudgeVerdict, EvalRun, EvalSample, ModelEndpoint

PER = 1_000_000  # prices are per million tokens


def _pair(prompt, completion) -> dict:
    return {"prompt": None if prompt is None else int(prompt),
            "completion": None if completion is None else int(completion)}


def tokens_by_run(runs: list[EvalRun], dataset_id: int | None = None, subset: str | None = None) -> dict[int, dict]:
    """Per run: ``{"model": {"prompt", "completion"}, "judge": {...} | None, "samples": n}`` over its samples (of
    ``dataset_id`` / ``subset`` when given). A count is None when the engine reported none; ``judge`` is None for
    a run without a judge, and 0 tokens when its judge read no sample (all decided by rule)."""
    if not runs:
        return {}
    s = EvalSample
    query = (sa.select(s.run_id, sa.func.sum(s.prompt_tokens), sa.func.sum(s.completion_tokens),
                       sa.func.sum(s.judge_prompt_tokens), sa.func.sum(s.judge_completion_tokens),
                       sa.func.count(), sa.func.count(sa.case((s.decided_by == "judge", 1))))
             .where(s.run_id.in_([r.id for r in runs])).group_by(s.run_id))
    if dataset_id is not None:
        query = query.where(s.dataset_id == dataset_id)
    if subset:
        query = query.where(s.subset == subset)
    sums = {row[0]: row[1:] for row in db.session.execute(query)}
    panels = _panel_tokens([r for r in runs if (r.params or {}).get("panel")], dataset_id, subset)
    out = {}
    for run in runs:
        prompt, completion, j_prompt, j_completion, n, judged = sums.get(run.id, (None, None, None, None, 0, 0))
        judge = None
        if run.id in panels:  # a panel's judges read the stored answers in the worker: their requests are theirs
            by_judge = panels[run.id]
            judge = _pair(*(None if None in v else sum(v) for v in zip(*by_judge.values()))) if by_judge \
                else _pair(0, 0)
            out[run.id] = {"model": _pair(prompt, completion), "judge": judge, "samples": n,
                           "judges": [{"id": i, **_pair(*v)} for i, v in by_judge.items()]}
            continue
        if run.judge_name:
            judge = _pair(j_prompt, j_completion) if judged or j_prompt is not None else _pair(0, 0)
        out[run.id] = {"model": _pair(prompt, completion), "judge": judge, "samples": n}
    return out


def _panel_tokens(runs: list[EvalRun], dataset_id: int | None, subset: str | None) -> dict[int, dict]:
    """Per panel run, per judge endpoint id: (prompt, completion) summed over its verdicts; a sum is None when
    any of its requests reported no usage."""
    if not runs:
        return {}
    v, s = EvalJudgeVerdict, EvalSample
    query = (sa.select(s.run_id, v.judge_endpoint_id, sa.func.sum(v.prompt_tokens), sa.func.sum(v.completion_tokens),
                       sa.func.count(), sa.func.count(v.prompt_tokens))
             .join(s, s.id == v.sample_id).where(s.run_id.in_([r.id for r in runs]))
             .group_by(s.run_id, v.judge_endpoint_id))
    if dataset_id is not None:
        query = query.where(s.dataset_id == dataset_id)
    if subset:
        query = query.where(s.subset == subset)
    out: dict[int, dict] = {r.id: {} for r in runs}
    for run_id, judge_id, prompt, completion, n, reported in db.session.execute(query):
        out[run_id][judge_id] = (prompt, completion) if reported == n else (None, None)
    return out


def _priced(tokens: dict, endpoint: ModelEndpoint | None) -> float | None:
    if endpoint is None or None in (tokens["prompt"], tokens["completion"], endpoint.price_input_per_m,
                                    endpoint.price_output_per_m):
        return None
    return (tokens["prompt"] * endpoint.price_input_per_m + tokens["completion"] * endpoint.price_output_per_m) / PER


def cost(run: EvalRun, tokens: dict, endpoints: dict[int, ModelEndpoint]) -> float | None:
    """The run's cost from its ``tokens`` (``tokens_by_run``) and the current prices of its model and judge
    (``endpoints`` by id); None when a price or a token count it needs is unknown."""
    model = _priced(tokens["model"], endpoints.get(run.endpoint_id))
    if tokens["judge"] is None:
        return _tidy(model)
    if "judges" in tokens:  # a panel: each judge's tokens at its own prices
        parts = [model] + [_priced(pair, endpoints.get(pair["id"])) for pair in tokens["judges"]]
        return None if None in parts else _tidy(sum(parts))
    judge = _priced(tokens["judge"], endpoints.get(run.judge_endpoint_id))
    return None if model is None or judge is None else _tidy(model + judge)


def endpoints_of(runs: list[EvalRun]) -> dict[int, ModelEndpoint]:
    """The model and judge endpoints of ``runs`` by id (deleted ones too: their prices stay with their history)."""
    ids = {i for r in runs for i in (r.endpoint_id, r.judge_endpoint_id) if i}
    ids |= {m["id"] for r in runs for m in (r.params or {}).get("panel") or [] if m.get("id")}
    return {e.id: e for e in db.session.scalars(sa.select(ModelEndpoint).where(ModelEndpoint.id.in_(ids)))}


def run_usage(run: EvalRun) -> dict:
    """A run's tokens and cost, for its report and its API view: ``{"tokens": ..., "cost": float | None}``."""
    tokens = tokens_by_run([run])[run.id]
    return {"tokens": tokens, "cost": cost(run, tokens, endpoints_of([run]))}


def per_thousand(value: float | None, samples: int) -> float | None:
    """A run's cost per 1,000 samples."""
    return None if value is None or not samples else _tidy(value / samples * 1000)


def _tidy(value: float | None) -> float | None:
    """Binary floating point's tail cut off (0.11589999999999999 reads 0.1159); a billionth is far below a price."""
    return None if value is None else round(value, 9)
