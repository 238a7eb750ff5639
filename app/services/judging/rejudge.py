"""Re-judge: a new run that judges a finished run's stored answers again, with another judge model or prompt.

The child run copies the parent's settings (datasets pinned to the parent's versions) and its sample rows: each
stored answer a judge reads becomes ``pending`` with the engine's record of it, which the engine replays into its
cache, so only the judge is asked (``eval_inputs.plan`` exports nothing else of a child: a sample the parent has no
answer for stays an error). Answers scored by rule keep their verdict; human labels stay with their answers. With
``rule_first`` an answer that matches its reference is accepted here, without a judge call.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.engines.qa_rule import matches
from app.extensions import db
from app.models import Dataset, EvalRun, EvalSample, User
from app.services import evals, runs
from app.services.judging import panel
from app.services.runs import fleet

COPIED = ("dataset_id", "dataset_name", "subset", "position", "row_key", "question", "reference", "prediction",
          "latency_ms", "prompt_tokens", "completion_tokens", "engine_record", "human_verdict", "human_note",
          "human_at")
KEPT = ("extracted", "score", "verdict", "judge_rationale", "error", "decided_by")  # of a sample scored by rule


def build(parent: EvalRun, user: User, data: dict) -> EvalRun:
    """A validated, unsaved child of ``parent`` judged by ``data['judge_id']`` (or the panel ``data['judge_ids']``);
    raises ``evals.EvalInvalid``."""
    errors: dict[str, str] = {}
    if parent.is_active:
        errors["status"] = str(_l("This run is still going: re-judge it when it has finished."))
    if parent.endpoint_id is None or any(db.session.get(Dataset, s["dataset_id"]) is None
                                         for s in parent.params["datasets"]):
        errors["status"] = str(_l("The model or a dataset of this run was deleted: it cannot be re-judged."))
    ok, why = evals.engine_state(parent.engine)
    if not ok:
        errors["engine"] = why
    judges = panel.judges_from(user, data, errors, evals.usable_model)  # one judge, or a panel
    if not judges and not {"judge_id", "judge_ids"} & set(errors):
        errors["judge_id"] = str(_l("Choose a model."))
    aggregation = panel.aggregation_from(data, errors)
    prompt = evals.judge_prompt(data, True, errors)
    if not _judged_formats(parent.params):
        errors["status"] = str(_l("This run has no answers a judge reads (multiple-choice answers are scored by "
                                  "rule)."))
    if errors:
        raise evals.EvalInvalid(errors)
    params = dict(parent.params, judge_prompt=prompt, answers_only=False, judge_only=True,
                  rule_first=bool(data.get("rule_first")))
    child = EvalRun(owner_id=user.id, endpoint_id=parent.endpoint_id, endpoint_name=parent.endpoint_name,
                    engine=parent.engine, engine_version=fleet.engine_version(parent.engine), params=params,
                    parent_run_id=parent.id, progress_total=parent.progress_total)
    panel.settle(child, judges, aggregation)
    return child


def _judged_formats(params: dict) -> set[str]:
    return {"qa", "mcq"} if params.get("judge_mcq") else {"qa"} & {s["format"] for s in params["datasets"]}


def create(parent: EvalRun, user: User, data: dict) -> EvalRun:
    """Build the child, copy the parent's answers into it (before it is queued) and submit it."""
    child = build(parent, user, data)
    db.session.add(child)
    db.session.flush()
    judged = {s["dataset_id"] for s in parent.params["datasets"] if s["format"] in _judged_formats(parent.params)}
    rows = [_copy(sample, child, sample.dataset_id in judged) for sample in db.session.scalars(
        sa.select(EvalSample).where(EvalSample.run_id == parent.id))]
    if rows:
        db.session.execute(sa.insert(EvalSample), rows)
    return runs.submit(child, user)


def _copy(sample: EvalSample, child: EvalRun, judged: bool) -> dict:
    """The child's row of one parent sample: pending for its judge, accepted by the rule, or kept as it was."""
    row = {c: getattr(sample, c) for c in COPIED}
    row.update(run_id=child.id, extracted=None, score=None, judge_rationale=None, error=None, decided_by=None)
    if not judged:
        return {**row, **{c: getattr(sample, c) for c in KEPT}}
    if not sample.engine_record:
        return {**row, "verdict": "error", "error": f"No answer in run #{child.parent_run_id} to judge."}
    if child.params.get("rule_first") and matches(sample.prediction, sample.reference):
        return {**row, "verdict": "correct", "score": 1.0, "decided_by": "rule"}
    return {**row, "verdict": "pending"}


def children(run: EvalRun) -> list[EvalRun]:
    """The runs that re-judged ``run``, newest first."""
    return list(db.session.scalars(sa.select(EvalRun).where(EvalRun.parent_run_id == run.id,
                                                            EvalRun.owner_id == run.owner_id)
                                   .order_by(EvalRun.id.desc())))
