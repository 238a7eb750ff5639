"""Human labels: a person's verdict (correct / wrong / unsure) and note on a sample, a review walk over N random
samples of a run, and how far the run's verdicts agree with the people (rate and Cohen's κ, per decider)."""
from __future__ import annotations

import random

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import EvalRun, EvalSample
from app.models.evaluation import HUMAN_VERDICTS
from app.models.types import utcnow
from app.services.evals import EvalInvalid
from app.services.stats.agreement import cohen_kappa

NOTE_MAX = 2000
REVIEW_MAX = 200


def label(sample: EvalSample, verdict, note) -> EvalSample:
    """Record (or, with an empty verdict, clear) the human label of ``sample``; raises ``EvalInvalid``."""
    verdict = verdict or None
    note = (note or "").strip() if isinstance(note, (str, type(None))) else note
    errors = {}
    if verdict is not None and verdict not in HUMAN_VERDICTS:
        errors["verdict"] = str(_l("Choose correct, wrong or unsure."))
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        errors["note"] = str(_l("A note is text of at most %(n)d characters.", n=NOTE_MAX))
    if errors:
        raise EvalInvalid(errors)
    sample.human_verdict, sample.human_note = verdict, (note or None) if verdict else None
    sample.human_at = utcnow() if verdict else None
    db.session.commit()
    return sample


def review_ids(run: EvalRun, n: int, seed: int) -> list[int]:
    """``n`` random answered samples of ``run`` (the same ``seed``, the same walk), in walk order."""
    ids = list(db.session.scalars(sa.select(EvalSample.id).where(
        EvalSample.run_id == run.id, EvalSample.prediction.is_not(None)).order_by(EvalSample.id)))
    return random.Random(seed).sample(ids, min(max(1, n), REVIEW_MAX, len(ids)))


def agreement(run: EvalRun) -> list[dict]:
    """Per decider (the run's judge, the rule): on samples labelled correct or wrong by a person and scored
    correct or wrong, how many, the agreement rate and Cohen's κ."""
    rows = db.session.execute(sa.select(EvalSample.decided_by, EvalSample.verdict, EvalSample.human_verdict).where(
        EvalSample.run_id == run.id, EvalSample.human_verdict.in_(("correct", "wrong")),
        EvalSample.verdict.in_(("correct", "wrong")))).all()
    out = []
    for decider in ("judge", "rule"):
        mine = [(v, hv) for by, v, hv in rows if (by or "judge") == decider]
        if not mine:
            continue
        machine, human = [v for v, _h in mine], [hv for _v, hv in mine]
        out.append({"decider": decider, "name": run.judge_name if decider == "judge" else None, "n": len(mine),
                    "agreement": sum(v == hv for v, hv in mine) / len(mine), "kappa": cohen_kappa(machine, human)})
    return out


def labelled_count(run: EvalRun) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(EvalSample).where(
        EvalSample.run_id == run.id, EvalSample.human_verdict.is_not(None)))
