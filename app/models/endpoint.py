"""Model endpoints: OpenAI-compatible APIs that chats, evaluations and benchmarks talk to."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

PRICE = sa.Numeric(14, 6, asdecimal=False)  # exact decimals in the database, floats in Python


class ModelEndpoint(db.Model):
    """A model behind an OpenAI-compatible API. ``owner_id`` NULL marks a system model (managed by admins).

    Deleting one keeps the row (``deleted_at`` set, API key wiped) so chats and evaluations that used it stay
    readable with its name; lists and lookups leave deleted rows out.
    """

    __tablename__ = "model_endpoint"
    __table_args__ = (sa.Index("ix_model_endpoint_owner_name", "owner_id", "name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    owner_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(128))
    base_url: so.Mapped[str] = so.mapped_column(sa.String(512))
    model_name: so.Mapped[str] = so.mapped_column(sa.String(191))
    api_key_encrypted: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    api_key_last4: so.Mapped[Optional[str]] = so.mapped_column(sa.String(4))
    temperature: so.Mapped[Optional[float]] = so.mapped_column()
    max_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    top_p: so.Mapped[Optional[float]] = so.mapped_column()
    extra_body: so.Mapped[Optional[dict[str, Any]]] = so.mapped_column(sa.JSON)
    notes: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    max_concurrency: so.Mapped[int] = so.mapped_column(default=4)
    judge: so.Mapped[bool] = so.mapped_column(default=False)
    #: Optional prices per million input (prompt) and output (completion) tokens, in the team's currency: they give
    #: each run a cost. None: unknown (a cost that needs it is unknown too, never 0).
    price_input_per_m: so.Mapped[Optional[float]] = so.mapped_column(PRICE)
    price_output_per_m: so.Mapped[Optional[float]] = so.mapped_column(PRICE)

    check_status: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))  # "ok" | "error"
    check_message: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    check_ttft_ms: so.Mapped[Optional[float]] = so.mapped_column()
    check_latency_ms: so.Mapped[Optional[float]] = so.mapped_column()
    check_model_listed: so.Mapped[Optional[bool]] = so.mapped_column()
    checked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime)

    @property
    def is_system(self) -> bool:
        return self.owner_id is None

    @property
    def has_api_key(self) -> bool:
        return self.api_key_encrypted is not None

    def __repr__(self) -> str:
        return f"<ModelEndpoint {self.name}>"
