"""Performance benchmarks: a ``PerfRun`` (evalscope perf against one model, a sweep of concurrency levels) and one
``PerfLevel`` per level with evalscope's summary and percentiles as it reports them."""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.run import RunMixin


class PerfRun(RunMixin, db.Model):
    """One benchmark. ``params`` holds the form (see app/services/perf.validate); the levels hold the results.

    ``target_key`` names the server and model under test (app/services/scheduler's endpoint key). A benchmark
    takes its endpoint whole (``takes_endpoint_whole``): it waits for the evaluations there to finish, and nothing
    of EvalHub's uses the endpoint while it measures. ``waiting`` is unused (the run's status note says what it waits
    for).
    """

    __tablename__ = "perf_run"
    __table_args__ = (sa.Index("ix_perf_run_owner_created", "owner_id", "created_at"),
                      sa.Index("ix_perf_run_target_status", "target_key", "status"))

    takes_endpoint_whole = True

    target_key: so.Mapped[str] = so.mapped_column(sa.String(40))
    waiting: so.Mapped[bool] = so.mapped_column(default=False)
    #: Best request and output-token throughput over the levels (for sorting the history).
    peak_req_per_s: so.Mapped[Optional[float]] = so.mapped_column()
    peak_output_tok_per_s: so.Mapped[Optional[float]] = so.mapped_column()

    levels: so.Mapped[list["PerfLevel"]] = so.relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True,
        order_by="PerfLevel.position")

    def __repr__(self) -> str:
        return f"<PerfRun {self.id} {self.endpoint_name!r} {self.status}>"


class PerfLevel(db.Model):
    """The result of one concurrency level: evalscope's ``benchmark_summary.json`` (``metrics``) and
    ``benchmark_percentile.json`` (``percentiles``), with the key numbers copied into columns for sorting and
    comparing. Units as evalscope reports them: latency in seconds, TTFT / TPOT / ITL in milliseconds."""

    __tablename__ = "perf_level"
    __table_args__ = (sa.UniqueConstraint("run_id", "position", name="uq_perf_level_run_id_position"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    run_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("perf_run.id", ondelete="CASCADE"))
    position: so.Mapped[int] = so.mapped_column()
    concurrency: so.Mapped[int] = so.mapped_column()
    number: so.Mapped[int] = so.mapped_column()
    duration_s: so.Mapped[Optional[float]] = so.mapped_column()
    total_requests: so.Mapped[int] = so.mapped_column(default=0)
    succeeded: so.Mapped[int] = so.mapped_column(default=0)
    failed: so.Mapped[int] = so.mapped_column(default=0)
    req_per_s: so.Mapped[Optional[float]] = so.mapped_column()
    output_tok_per_s: so.Mapped[Optional[float]] = so.mapped_column()
    total_tok_per_s: so.Mapped[Optional[float]] = so.mapped_column()
    avg_latency_s: so.Mapped[Optional[float]] = so.mapped_column()
    avg_ttft_ms: so.Mapped[Optional[float]] = so.mapped_column()
    avg_tpot_ms: so.Mapped[Optional[float]] = so.mapped_column()
    avg_itl_ms: so.Mapped[Optional[float]] = so.mapped_column()
    avg_input_tokens: so.Mapped[Optional[float]] = so.mapped_column()
    avg_output_tokens: so.Mapped[Optional[float]] = so.mapped_column()
    p50_latency_s: so.Mapped[Optional[float]] = so.mapped_column()
    p99_latency_s: so.Mapped[Optional[float]] = so.mapped_column()
    p50_ttft_ms: so.Mapped[Optional[float]] = so.mapped_column()
    p99_ttft_ms: so.Mapped[Optional[float]] = so.mapped_column()
    p50_tpot_ms: so.Mapped[Optional[float]] = so.mapped_column()
    p99_tpot_ms: so.Mapped[Optional[float]] = so.mapped_column()
    metrics: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    percentiles: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)

    run: so.Mapped[PerfRun] = so.relationship(back_populates="levels")

    def __repr__(self) -> str:
        return f"<PerfLevel run={self.run_id} c={self.concurrency} n={self.number}>"
