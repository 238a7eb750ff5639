"""Judge panels: two or three judges on one run, their aggregate per sample, and how far they agree.

A run judged by a panel keeps its judges in ``params['panel']`` (``[{"id", "name"}]``, in order; the first is also
the run's ``judge_endpoint_id``) and the aggregation in ``params['aggregation']``: ``majority`` (0/1 verdicts: the
sample is correct when more than half of the judges that gave a usable verdict say so; a tie is not a majority) or
``mean`` (the mean of their scores; correct from 0.5). A judge that gives no usable verdict on a sample (no verdict
in its reply, CompassVerifier's "C", a failed request) is excluded there, not counted as wrong: the sample's
coverage (usable judges / panel size) drops, its score does not. A sample no judge scored is not scored at all
(an error: it lowers the run's coverage, not its score). Every judge's verdict and reply is an ``EvalJudgeVerdict``.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import EvalJudgeVerdict, EvalRun, EvalSample, ModelEndpoint, User
from app.services.stats.agreement import cohen_kappa, fleiss_kappa

MAX_JUDGES = 3
AGGREGATIONS = ("majority", "mean")


def judges_from(user: User, data: dict, errors: dict, usable_model) -> list[ModelEndpoint]:
    """The judges of form or API ``data``: ``judge_ids`` (a list of 1 to 3 distinct model ids), else the single
    ``judge_id``; [] when neither names one. Sent together, ``judge_ids`` must start with ``judge_id``.
    ``usable_model`` checks each id (``evals.usable_model``)."""
    raw, one = data.get("judge_ids"), data.get("judge_id")
    if one in (None, "", 0, "0"):
        one = None
    if raw in (None, "", []):
        if one is None:
            return []
        raw = [one]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_JUDGES:
        errors["judge_ids"] = str(_l("Choose one to %(n)d judge models.", n=MAX_JUDGES))
        return []
    if one is not None and str(raw[0]) != str(one):  # both sent: judge_ids is the whole panel, judge_id its first
        errors["judge_id"] = str(_l("judge_id and judge_ids name different judges: send one of them, or make "
                                    "judge_ids start with judge_id."))
        return []
    field = "judge_ids" if data.get("judge_ids") not in (None, "", []) else "judge_id"
    judges = [usable_model(user, item, field, errors) for item in raw]
    if field not in errors and len({j.id for j in judges}) != len(judges):
        errors[field] = str(_l("Each judge of a panel is a different model."))
    return [] if field in errors else judges


def aggregation_from(data: dict, errors: dict) -> str:
    value = data.get("aggregation") or "majority"
    if value not in AGGREGATIONS:
        errors["aggregation"] = str(_l("Aggregation is majority or mean."))
    return value


def settle(run: EvalRun, judges: list[ModelEndpoint], aggregation: str) -> None:
    """Put ``judges`` on ``run``: the first as its judge; with two or more, the panel and its aggregation."""
    run.judge_endpoint_id = judges[0].id if judges else None
    run.judge_name = (" + ".join(j.name for j in judges))[:128] if judges else None
    params = {k: v for k, v in run.params.items() if k not in ("panel", "aggregation")}
    if len(judges) > 1:
        params.update(panel=[{"id": j.id, "name": j.name} for j in judges], aggregation=aggregation)
    run.params = params


def members(run: EvalRun) -> list[dict]:
    """The run's panel (``[{"id", "name"}]``), [] for a run with one judge or none."""
    return list((run.params or {}).get("panel") or [])


def judge_ids(run: EvalRun) -> list[int]:
    """Every judge's model id (a panel's, or the one judge's), for a re-run."""
    return [m["id"] for m in members(run)] or ([run.judge_endpoint_id] if run.judge_endpoint_id else [])


def aggregate(verdicts: list[tuple[str | None, float | None]], size: int, how: str) -> dict:
    """A sample's values from its judges' ``(verdict, score)`` (``verdict`` None: not usable): verdict, score,
    coverage. No usable verdict: an error, not scored."""
    usable = [(v, s if s is not None else (1.0 if v == "correct" else 0.0)) for v, s in verdicts if v is not None]
    coverage = len(usable) / size if size else 0.0
    if not usable:
        return {"verdict": "error", "score": None, "coverage": coverage}
    if how == "mean":
        score = sum(s for _v, s in usable) / len(usable)
        return {"verdict": "correct" if score >= 0.5 else "wrong", "score": round(score, 6), "coverage": coverage}
    yes = sum(1 for _v, s in usable if s >= 0.5)
    correct = yes * 2 > len(usable)
    return {"verdict": "correct" if correct else "wrong", "score": 1.0 if correct else 0.0, "coverage": coverage}


def verdicts_by_sample(sample_ids: list[int]) -> dict[int, list[EvalJudgeVerdict]]:
    """Each sample's judge verdicts, in panel order."""
    out: dict[int, list[EvalJudgeVerdict]] = {i: [] for i in sample_ids}
    if sample_ids:
        for row in db.session.scalars(sa.select(EvalJudgeVerdict).where(EvalJudgeVerdict.sample_id.in_(sample_ids))
                                      .order_by(EvalJudgeVerdict.sample_id, EvalJudgeVerdict.judge_index)):
            out[row.sample_id].append(row)
    return out


def verdict_json(row: EvalJudgeVerdict) -> dict:
    return {"judge_index": row.judge_index, "judge_id": row.judge_endpoint_id, "judge": row.judge_name,
            "verdict": row.verdict, "score": row.score, "usable": row.usable, "reply": row.reply}


def coverage(rows: list[EvalJudgeVerdict], size: int) -> float | None:
    """Usable judges / panel size of one sample (None outside a panel)."""
    return sum(1 for r in rows if r.usable) / size if size else None


def disagreeing(run: EvalRun) -> sa.Select:
    """Ids of the run's samples on which the judges' usable verdicts differ."""
    return (sa.select(EvalJudgeVerdict.sample_id).join(EvalSample, EvalSample.id == EvalJudgeVerdict.sample_id)
            .where(EvalSample.run_id == run.id, EvalJudgeVerdict.usable.is_(True))
            .group_by(EvalJudgeVerdict.sample_id).having(sa.func.count(sa.distinct(EvalJudgeVerdict.verdict)) > 1))


def agreement(run: EvalRun) -> dict | None:
    """How far the panel's judges agree, on the samples every judge gave a usable verdict: Cohen's κ for two
    judges, Fleiss' κ for three, the share of those samples they all agree on, and how many samples they disagree
    on (any two usable verdicts differ). None outside a panel."""
    panel = members(run)
    if len(panel) < 2:
        return None
    rows = db.session.execute(sa.select(EvalJudgeVerdict.sample_id, EvalJudgeVerdict.judge_index,
                                        EvalJudgeVerdict.verdict)
                              .join(EvalSample, EvalSample.id == EvalJudgeVerdict.sample_id)
                              .where(EvalSample.run_id == run.id, EvalJudgeVerdict.usable.is_(True))).all()
    by_sample: dict[int, dict[int, str]] = {}
    for sample_id, index, verdict in rows:
        by_sample.setdefault(sample_id, {})[index] = verdict
    full = [v for v in by_sample.values() if len(v) == len(panel)]
    kappa = None
    if full:
        if len(panel) == 2:
            kappa = cohen_kappa([v[0] for v in full], [v[1] for v in full])
        else:
            kappa = fleiss_kappa([[sum(1 for x in v.values() if x == c) for c in ("correct", "wrong")]
                                  for v in full])
    return {"judges": [m["name"] for m in panel], "aggregation": run.params.get("aggregation", "majority"),
            "method": "cohen" if len(panel) == 2 else "fleiss", "n": len(full), "kappa": kappa,
            "agreement": sum(1 for v in full if len(set(v.values())) == 1) / len(full) if full else None,
            "disagreements": sum(1 for v in by_sample.values() if len(set(v.values())) > 1)}
