"""Accuracy evaluations: a run of a model on dataset selections, and its per-sample results."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.dialects.mysql  # noqa: F401 - sa.dialects.mysql below
import sqlalchemy.orm as so

from app.extensions import db
from app.models.run import RunMixin
from app.models.types import UTCDateTime, utcnow

VERDICTS = ("correct", "wrong", "error", "pending")  # pending: answered, its verdict not in yet
HUMAN_VERDICTS = ("correct", "wrong", "unsure")
DECIDERS = ("rule", "judge")  # what gave a sample its verdict (None: not decided yet, or an older row)
LONG_TEXT = sa.Text().with_variant(sa.dialects.mysql.MEDIUMTEXT(), "mysql")


class EvalRun(RunMixin, db.Model):
    """One evaluation. ``params['datasets']`` pins each dataset's version, subsets, split and limit, so the
    report can always show the exact rows it read; ``summary`` holds scores per dataset and subset."""

    __tablename__ = "eval_run"

    engine: so.Mapped[str] = so.mapped_column(sa.String(32), default="evalscope")
    engine_version: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    judge_endpoint_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("model_endpoint.id", ondelete="SET NULL"))
    judge_name: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128))
    summary: so.Mapped[Optional[dict[str, Any]]] = so.mapped_column(sa.JSON)
    score: so.Mapped[Optional[float]] = so.mapped_column()
    sample_errors: so.Mapped[int] = so.mapped_column(default=0)
    rerun_of_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("eval_run.id", ondelete="SET NULL"))
    #: The run whose stored answers this one re-judges (no question is asked again): "re-judged from #<parent>".
    parent_run_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("eval_run.id", ondelete="SET NULL"), index=True)
    #: Published by its owner: a read-only report every user may open, listed on the leaderboards.
    published: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false(), index=True)
    published_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    selections: so.Mapped[list["EvalRunDataset"]] = so.relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True, order_by="EvalRunDataset.id")

    samples: so.WriteOnlyMapped["EvalSample"] = so.relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True)


class EvalRunDataset(db.Model):
    """One dataset selection of a run (the rows of ``params['datasets']``): "the runs on this dataset" is a join,
    and runs are comparable on a leaderboard when they read the same version and the same sample set."""

    __tablename__ = "eval_run_dataset"
    __table_args__ = (sa.UniqueConstraint("run_id", "dataset_id", name="uq_eval_run_dataset_run"),
                      sa.Index("ix_eval_run_dataset_dataset", "dataset_id", "version"))

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    run_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("eval_run.id", ondelete="CASCADE"))
    dataset_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("dataset.id", ondelete="CASCADE"))
    version: so.Mapped[int] = so.mapped_column()
    #: The chosen subsets, sorted and comma-joined ("" = every subset).
    subsets: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    split: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128))
    sample_limit: so.Mapped[Optional[int]] = so.mapped_column()

    run: so.Mapped[EvalRun] = so.relationship(back_populates="selections")

    @classmethod
    def of(cls, selection: dict) -> "EvalRunDataset":
        """The row of one ``params['datasets']`` entry."""
        return cls(dataset_id=selection["dataset_id"], version=selection["version"],
                   subsets=",".join(sorted(selection.get("subsets") or [])), split=selection.get("split"),
                   sample_limit=selection.get("limit"))

    @property
    def sample_set(self) -> tuple:
        """What makes two runs' samples the same: version, subsets, split and limit."""
        return self.version, self.subsets, self.split, self.sample_limit


class EvalSample(db.Model):
    """One question of one run: what was asked, what came back, and how it was scored."""

    __tablename__ = "eval_sample"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "dataset_id", "subset", "position", name="uq_eval_sample_key"),
        sa.Index("ix_eval_sample_run_verdict", "run_id", "verdict"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    run_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("eval_run.id", ondelete="CASCADE"))
    dataset_id: so.Mapped[int] = so.mapped_column()
    dataset_name: so.Mapped[str] = so.mapped_column(sa.String(128))
    subset: so.Mapped[str] = so.mapped_column(sa.String(128))
    position: so.Mapped[int] = so.mapped_column()
    row_key: so.Mapped[Optional[str]] = so.mapped_column(sa.String(191))
    question: so.Mapped[str] = so.mapped_column(sa.Text)
    reference: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    prediction: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    extracted: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    score: so.Mapped[Optional[float]] = so.mapped_column()
    verdict: so.Mapped[str] = so.mapped_column(sa.String(16))
    judge_rationale: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    latency_ms: so.Mapped[Optional[float]] = so.mapped_column()
    prompt_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    completion_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    #: What the judge's requests for this sample used (every attempt), as the engine reports it; None: no judge
    #: read it, or the engine does not report the judge's usage (OpenCompass).
    judge_prompt_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    judge_completion_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    error: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    #: The engine's own record of the answer (evalscope's prediction line, OpenCompass's prediction entry), replayed
    #: into the engine's cache when a later attempt still needs this sample's verdict: no question is asked twice.
    engine_record: so.Mapped[Optional[str]] = so.mapped_column(LONG_TEXT)
    decided_by: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))  # rule | judge
    human_verdict: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))  # correct | wrong | unsure
    human_note: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    human_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    run: so.Mapped[EvalRun] = so.relationship(back_populates="samples")


class EvalJudgeVerdict(db.Model):
    """One judge's verdict on one sample of a run judged by a panel (``params['panel']``): what it replied, what
    EvalHub read from it, and whether it counts (``usable``: a reply with no verdict, a CompassVerifier "C — invalid
    answer" or a failed request is stored and shown, and excluded from the sample's aggregate)."""

    __tablename__ = "eval_judge_verdict"
    __table_args__ = (sa.UniqueConstraint("sample_id", "judge_index", name="uq_eval_judge_verdict_sample_judge"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sample_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("eval_sample.id", ondelete="CASCADE"))
    judge_index: so.Mapped[int] = so.mapped_column()  # the judge's place in the run's panel (0..2)
    judge_endpoint_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("model_endpoint.id", ondelete="SET NULL"))
    judge_name: so.Mapped[str] = so.mapped_column(sa.String(128))
    verdict: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))  # correct | wrong | None (not usable)
    score: so.Mapped[Optional[float]] = so.mapped_column()
    reply: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    usable: so.Mapped[bool] = so.mapped_column(default=False)
    prompt_tokens: so.Mapped[Optional[int]] = so.mapped_column()  # the judge request's usage, as its server said
    completion_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
