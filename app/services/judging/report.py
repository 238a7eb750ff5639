"""What a run's report says of its judging: how many samples the rule and the judge decided."""
from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import EvalRun, EvalSample


def decided(run: EvalRun) -> dict[str, int]:
    """Scored samples by what decided them: ``{"rule": n, "judge": m}`` (MCQ scored by the answer rule counts as
    rule; a QA answer accepted by rule first too)."""
    counts = {"rule": 0, "judge": 0}
    for by, n in db.session.execute(
            sa.select(EvalSample.decided_by, sa.func.count()).where(
                EvalSample.run_id == run.id, EvalSample.verdict.in_(("correct", "wrong")),
                EvalSample.decided_by.is_not(None)).group_by(EvalSample.decided_by)):
        counts[by] = n
    return counts
