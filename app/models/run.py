"""Columns every background run shares (evaluations, benchmarks): the row is the truth the UI reads."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.models.types import UTCDateTime, utcnow

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
EVAL_STATUSES = ("queued", "running", "succeeded", "answered", "failed", "cancelled")  # answered: evaluations only
ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "answered", "failed", "cancelled")  # answered: an evaluation's answers, no judge yet


class RunMixin:
    """queued → running → succeeded | answered | failed | cancelled, with progress, heartbeat and the RQ job id.

    ``cancel_requested`` is the flag a running job's loop polls; ``heartbeat_at`` is stamped by that loop
    every few seconds, so a run whose worker died is found and marked failed (see app/services/runs.py).
    """

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="queued", index=True)
    status_note: so.Mapped[Optional[str]] = so.mapped_column(sa.String(255))
    params: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    progress_done: so.Mapped[int] = so.mapped_column(default=0)
    progress_total: so.Mapped[int] = so.mapped_column(default=0)
    rq_job_id: so.Mapped[Optional[str]] = so.mapped_column(sa.String(64))
    worker_name: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128))
    work_dir: so.Mapped[Optional[str]] = so.mapped_column(sa.String(512))
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    cancel_requested: so.Mapped[bool] = so.mapped_column(default=False)
    error: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    started_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    finished_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)
    heartbeat_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    @so.declared_attr
    def owner_id(cls) -> so.Mapped[int]:
        return so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)

    @so.declared_attr
    def endpoint_id(cls) -> so.Mapped[Optional[int]]:
        return so.mapped_column(sa.ForeignKey("model_endpoint.id", ondelete="SET NULL"), index=True)

    endpoint_name: so.Mapped[str] = so.mapped_column(sa.String(128))

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_waiting(self) -> bool:
        """Started by a worker, but waiting for its model endpoint (the status note says what for)."""
        return self.status == "running" and (self.status_note or "").startswith("Waiting:")

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status == "succeeded" else 0
        return min(100, int(100 * self.progress_done / self.progress_total))
