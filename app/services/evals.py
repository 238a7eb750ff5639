"""Accuracy evaluations: one validator for the form and the API, submit / cancel / resume / re-run, queries."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l

from app.engines.evalscope_eval import EvalscopeEvalEngine
from app.engines.opencompass_eval import OpencompassEvalEngine
from app.extensions import db
from app.models import Dataset, EvalRun, EvalRunDataset, EvalSample, ModelEndpoint, User
from app.models.evaluation import VERDICTS
from app.services import endpoints, runs
from app.services.runs import fleet
from app.services.datasets import catalog
from app.services.datasets.info import count_in
from app.services.judging import panel
from app.services.judging.prompts import DEFAULT_JUDGE_PROMPT, resolve as resolve_prompt
from app.services.outbound import OutboundRefused, guard
from app.services.validation import number

JOB = "workers.eval_jobs.run_eval"
ENGINES = {"evalscope": EvalscopeEvalEngine, "opencompass": OpencompassEvalEngine}
ENGINE_LABELS = {"evalscope": "evalscope", "opencompass": "OpenCompass"}
# The judge prompts (and their verdict format, the same on every engine) live in judging/prompts.py.


runs.register_kind(EvalRun, lambda run: "opencompass" if run.engine == "opencompass" else "evals", JOB,
                   "Finished samples are kept: resume to continue from where it stopped.")


class EvalInvalid(ValueError):
    """Bad input; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def engine_state(name: str, user: User | None = None) -> tuple[bool, str]:
    """Whether some live worker can run the engine, with the reason when none can. The workers publish what they
    have (``runs.fleet``); with no worker alive at all, evalscope (which every worker carries: it is in the app's
    own requirements) is accepted and the run waits in the queue until a worker starts. The reasons name no server
    path: a worker's own ``available()`` says what to install, in its log and on admin pages."""
    if name not in ENGINES:
        return False, str(_l("%(engine)s is not available in this installation yet.",
                             engine=ENGINE_LABELS.get(name, name)))
    workers = fleet.live()
    if any(name in w.get("engines", {}) for w in workers) or (name == "evalscope" and not workers):
        return True, ""
    if name == "opencompass":
        return False, str(_l("No running worker has OpenCompass. An administrator installs it on a worker machine "
                             "(see the README, \"OpenCompass\") and restarts that worker."))
    return False, str(_l("No running worker has %(engine)s.", engine=ENGINE_LABELS.get(name, name)))


def _selections(user: User, raw, errors: dict) -> list[dict]:
    """Pin each chosen dataset to its current version, checking subsets, split and limit."""
    if not isinstance(raw, list) or not raw:
        errors["datasets"] = str(_l("Choose at least one dataset."))
        return []
    out, seen = [], set()
    for i, item in enumerate(raw):
        item = item if isinstance(item, dict) else {"dataset_id": item}
        try:
            dataset_id = int(item.get("dataset_id"))
        except (TypeError, ValueError):
            errors["datasets"] = str(_l("Dataset #%(n)d: a dataset id is required.", n=i + 1))
            continue
        dataset = db.session.scalar(catalog.visible(user).where(Dataset.id == dataset_id))
        if dataset is None:
            errors["datasets"] = str(_l("Dataset %(id)s does not exist or is not yours.", id=dataset_id))
            continue
        if dataset_id in seen:
            errors["datasets"] = str(_l("%(name)s is chosen twice.", name=dataset.name))
            continue
        seen.add(dataset_id)
        info = catalog.version_of(dataset, None).info
        subsets, split = item.get("subsets") or [], item.get("split") or None
        if not isinstance(subsets, list) or not all(isinstance(s, str) for s in subsets) \
                or not isinstance(split, (str, type(None))):
            errors["datasets"] = str(_l("%(name)s: subsets must be a list of names and split one name.",
                                        name=dataset.name))
            continue
        subsets = [s for s in subsets if s]
        unknown = [s for s in subsets if s not in info.get("subsets", {})]
        if unknown:
            errors["datasets"] = str(_l("%(name)s has no subset %(subset)s.", name=dataset.name, subset=unknown[0]))
        if split and split not in info.get("splits", {}):
            errors["datasets"] = str(_l("%(name)s has no split %(split)s.", name=dataset.name, split=split))
        limit = number(item.get("limit"), int, 1, 1_000_000, "datasets", errors)  # shown with the datasets
        samples = sum(min(count_in(info, s, split), limit or 10**9) for s in (subsets or info.get("subsets", {})))
        out.append({"dataset_id": dataset.id, "name": dataset.name, "format": dataset.format,
                    "version": dataset.current_version, "subsets": subsets, "split": split, "limit": limit,
                    "samples": samples})
    if out and not any(s["samples"] for s in out) and "datasets" not in errors:
        errors["datasets"] = str(_l("The chosen subsets and split hold no rows."))
    return out


def build(user: User, data: dict) -> EvalRun:
    """A validated, unsaved ``EvalRun`` from form or API values; raises ``EvalInvalid``."""
    errors: dict[str, str] = {}
    model = usable_model(user, data.get("model_id"), "model_id", errors)
    selections = _selections(user, data.get("datasets"), errors)
    judges = panel.judges_from(user, data, errors, usable_model)  # one judge, or a panel of two or three
    judge = judges[0] if judges else None
    aggregation = panel.aggregation_from(data, errors)
    answers_only, rule_first = bool(data.get("answers_only")), bool(data.get("rule_first"))
    needs_judge = any(s["format"] == "qa" for s in selections) and not answers_only
    if needs_judge and judge is None and not {"judge_id", "judge_ids"} & set(errors):
        errors["judge_id"] = str(_l("QA datasets are scored by a judge model: choose one."))
    engine = str(data.get("engine") or "evalscope")  # a list or an object names no engine
    ok, why = engine_state(engine, user)
    if not ok:
        errors["engine"] = why
    prompt = judge_prompt(data, judge is not None, errors)
    if answers_only and judge is not None:
        errors["answers_only"] = str(_l("Answers only means no judge yet: leave the judge empty, or untick it."))
    if rule_first and judge is None and not answers_only:
        errors["rule_first"] = str(_l("Rule first sends the answers the rule does not accept to a judge: choose one."))
    params = {
        "datasets": selections,
        "temperature": number(data.get("temperature"), float, 0.0, 2.0, "temperature", errors, 0.0),
        "max_tokens": number(data.get("max_tokens"), int, 1, 200_000, "max_tokens", errors, 1024),
        "top_p": number(data.get("top_p"), float, 0.0, 1.0, "top_p", errors, None),
        "concurrency": number(data.get("concurrency"), int, 1, 256, "concurrency", errors,
                              min(8, model.max_concurrency if model else 8)),
        "judge_prompt": prompt,
        "judge_mcq": bool(data.get("judge_mcq")) and judge is not None,
        "answers_only": answers_only, "rule_first": rule_first,
        "timeout_seconds": runs.job_timeout_seconds(number(data.get("timeout_minutes"), int, 1, 7 * 24 * 60,
                                                           "timeout_minutes", errors)),
    }
    if ok and "engine" not in errors:
        errors.update(ENGINES[engine].unsupported(params))
    if model is not None and "concurrency" not in errors and params["concurrency"] > model.max_concurrency:
        errors["concurrency"] = str(_l("%(name)s allows at most %(n)d requests in flight.", name=model.name,
                                       n=model.max_concurrency))
    if errors:
        raise EvalInvalid(errors)
    run = EvalRun(owner_id=user.id, endpoint_id=model.id, endpoint_name=model.name, engine=engine,
                  engine_version=fleet.engine_version(engine), params=params,
                  progress_total=sum(s["samples"] for s in selections),  # "0 / 70" while it waits, not "0 / 0"
                  selections=[EvalRunDataset.of(s) for s in selections])
    panel.settle(run, judges, aggregation)
    return run


def judge_prompt(data: dict, has_judge: bool, errors: dict) -> str | None:
    """The judge prompt of form or API ``data`` (the default when empty), checked for its fields; None without a
    judge."""
    prompt = data.get("judge_prompt") or ""
    if not isinstance(prompt, str):
        errors["judge_prompt"], prompt = str(_l("Must be text.")), ""
    prompt = resolve_prompt(prompt)  # a name ("compassverifier") picks a built-in prompt
    if has_judge and not all(k in prompt for k in ("{question}", "{gold}", "{pred}")):
        errors["judge_prompt"] = str(_l("The judge prompt must contain {question}, {gold} and {pred}."))
    return prompt if has_judge else None


def usable_model(user: User, raw, field: str, errors: dict) -> ModelEndpoint | None:
    """The live model ``raw`` (an id) the user may use, else None with ``errors[field]`` saying why."""
    try:
        if isinstance(raw, (bool, float)):  # JSON true is not model 1, nor 7.9 model 7
            raise TypeError(raw)
        model_id = int(raw)
        if not 0 < model_id < 2**63:  # beyond any id the database holds (SQLite overflows on larger)
            raise ValueError(raw)
    except (TypeError, ValueError):
        errors[field] = str(_l("Choose a model."))
        return None
    model = db.session.scalar(endpoints.live_query(user).where(ModelEndpoint.id == model_id))
    if model is None:
        errors[field] = str(_l("Model %(id)s does not exist or is not yours.", id=model_id))
    return model


def request_count(params: dict) -> int:
    """How many model requests the run makes (at most): samples × (1 + judges when judged); a re-judge asks only
    the judge(s), answers only only the model."""
    total, judges = 0, max(1, len(params.get("panel") or []))
    for s in params["datasets"]:
        judged = (s["format"] == "qa" or params.get("judge_mcq")) and not params.get("answers_only")
        total += s["samples"] * ((judges if judged else 0) + (0 if params.get("judge_only") else 1))
    return total


def check_models(run: EvalRun) -> None:
    """Refuse (``EvalInvalid``) a run whose model or judge was deleted or whose address the outbound guard refuses.
    Checked when a run is submitted, resumed or re-run, and by the worker again before the engine starts (a model
    deleted, or a setting changed, while the run waited in the queue)."""
    errors: dict[str, str] = {}
    checked = [("model_id", run.endpoint_id, run.endpoint_name), ("judge_id", run.judge_endpoint_id, run.judge_name)]
    checked += [("judge_ids", m["id"], m["name"]) for m in panel.members(run)]
    for field, endpoint_id, name in checked:
        if endpoint_id is None and field == "judge_id" and not name:
            continue  # no judge
        try:
            guard(db.session.get(ModelEndpoint, endpoint_id) if endpoint_id else None, name)
        except OutboundRefused as exc:
            errors[field] = str(exc)
    if errors:
        raise EvalInvalid(errors)


def submit(run: EvalRun, actor: User) -> EvalRun:
    """Queue ``run`` after the outbound guard has passed its model and judge."""
    check_models(run)
    return runs.submit(run, actor)


def create(user: User, data: dict) -> EvalRun:
    return submit(build(user, data), user)


def resume(run: EvalRun, actor: User) -> EvalRun:
    """Queue a failed or cancelled run again, on any worker: the engine is asked only for what its rows lack."""
    if run.status not in ("failed", "cancelled"):
        raise EvalInvalid({"status": str(_l("Only a failed or cancelled run can be resumed."))})
    if run.params["datasets"] and any(db.session.get(Dataset, s["dataset_id"]) is None
                                      for s in run.params["datasets"]):
        raise EvalInvalid({"status": str(_l("A dataset of this run was deleted: re-run it instead."))})
    check_models(run)
    if not runs.reopen(run, actor):
        raise EvalInvalid({"status": str(_l("Only a failed or cancelled run can be resumed."))})
    return run


def rerun(run: EvalRun, actor: User) -> EvalRun:
    """A new run with the same settings (datasets pinned to their current versions)."""
    data = {"model_id": run.endpoint_id, "judge_ids": panel.judge_ids(run), "engine": run.engine,
            "datasets": [{k: s[k] for k in ("dataset_id", "subsets", "split", "limit")} for s in run.params["datasets"]],
            **{k: run.params.get(k) for k in ("temperature", "max_tokens", "top_p", "concurrency", "judge_prompt",
                                              "judge_mcq", "answers_only", "rule_first", "aggregation")},
            "timeout_minutes": run.params["timeout_seconds"] // 60}
    new = build(actor, data)
    new.rerun_of_id = run.id
    return submit(new, actor)


def owned(user: User, run_id: int) -> EvalRun:
    """The user's run, else 404 (runs are private)."""
    run = db.session.scalar(sa.select(EvalRun).where(EvalRun.id == run_id, EvalRun.owner_id == user.id))
    if run is None:
        abort(404)
    return run


def history(user: User, model_id=None, dataset_id=None, status=None) -> sa.Select:
    query = sa.select(EvalRun).where(EvalRun.owner_id == user.id).order_by(EvalRun.id.desc())
    if model_id:
        query = query.where(EvalRun.endpoint_id == int(model_id))
    if status:
        query = query.where(EvalRun.status == status)
    if dataset_id:
        query = query.where(EvalRun.selections.any(EvalRunDataset.dataset_id == int(dataset_id)))
    return query


def samples(run: EvalRun, verdict=None, subset=None, q=None, dataset_id=None, disagree=False) -> sa.Select:
    """The run's samples in report order, filtered; ``disagree``: those its panel's judges disagree on."""
    query = sa.select(EvalSample).where(EvalSample.run_id == run.id).order_by(
        EvalSample.dataset_id, EvalSample.subset, EvalSample.position)
    if disagree:
        query = query.where(EvalSample.id.in_(panel.disagreeing(run)))
    if verdict in VERDICTS:
        query = query.where(EvalSample.verdict == verdict)
    if subset:
        query = query.where(EvalSample.subset == subset)
    if dataset_id:
        query = query.where(EvalSample.dataset_id == int(dataset_id))
    if q:
        like = f"%{q}%"
        query = query.where(sa.or_(EvalSample.question.ilike(like), EvalSample.prediction.ilike(like)))
    return query


def neighbours(run: EvalRun, sample: EvalSample, **filters) -> tuple[int | None, int | None]:
    """Ids of the samples before and after ``sample`` in the list ``samples(run, **filters)`` shows."""
    d, s, p = sample.dataset_id, sample.subset, sample.position
    after = sa.or_(EvalSample.dataset_id > d, sa.and_(EvalSample.dataset_id == d, sa.or_(
        EvalSample.subset > s, sa.and_(EvalSample.subset == s, EvalSample.position > p))))
    before = sa.or_(EvalSample.dataset_id < d, sa.and_(EvalSample.dataset_id == d, sa.or_(
        EvalSample.subset < s, sa.and_(EvalSample.subset == s, EvalSample.position < p))))
    query = samples(run, **filters).with_only_columns(EvalSample.id)
    nxt = db.session.scalar(query.where(after).limit(1))
    prev = db.session.scalar(query.where(before).order_by(None).order_by(
        EvalSample.dataset_id.desc(), EvalSample.subset.desc(), EvalSample.position.desc()).limit(1))
    return prev, nxt
