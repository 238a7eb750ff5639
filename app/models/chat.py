"""Side-by-side chat: conversations of one user with up to three model slots, their messages and preferences.

A turn is one user message (``slot`` NULL) and one answer per slot (``slot`` 1..3), all sharing ``turn``. Slots and
answers keep a copy of the model's name, so history stays readable after the model is deleted.

An arena conversation (``arena``) is blind: its models are shown as "Model A/B/C" until its one, final vote
(app/services/arena/).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import mysql

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

MAX_SLOTS = 3
SLOT_LABELS = ("A", "B", "C")
STATUSES = ("streaming", "complete", "stopped", "error")
CHOICES = ("A", "B", "C", "tie", "bad")  # "bad": every answer is bad
#: Answers can be long: MEDIUMTEXT (16 MiB) on MySQL, where TEXT stops at 64 KiB.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def slot_label(slot: int) -> str:
    """``A``, ``B`` or ``C`` for slot 1, 2 or 3."""
    return SLOT_LABELS[slot - 1]


class Conversation(db.Model):
    """A chat of one user; ``title`` comes from the first message until the user renames it."""

    __tablename__ = "conversation"
    __table_args__ = (sa.Index("ix_conversation_owner_updated", "owner_id", "updated_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    owner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    title: so.Mapped[Optional[str]] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: a blind battle: model names hidden until the vote, which is final and ends the conversation
    arena: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    slots: so.Mapped[list["ChatSlot"]] = so.relationship(
        back_populates="conversation", order_by="ChatSlot.slot", cascade="all, delete-orphan", passive_deletes=True)
    messages: so.Mapped[list["ChatMessage"]] = so.relationship(
        order_by=lambda: (ChatMessage.turn, ChatMessage.slot), cascade="all, delete-orphan", passive_deletes=True)
    preferences: so.Mapped[list["Preference"]] = so.relationship(
        order_by="Preference.turn", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def blind(self) -> bool:
        """Whether the models' names are still hidden (an arena conversation before its vote)."""
        return self.arena and not self.preferences

    @property
    def display_title(self) -> str:
        return self.title or "New chat"

    def __repr__(self) -> str:
        return f"<Conversation {self.id} {self.title!r}>"


class ChatSlot(db.Model):
    """One model column of a conversation, with its own system prompt and generation settings."""

    __tablename__ = "chat_slot"
    __table_args__ = (sa.UniqueConstraint("conversation_id", "slot", name="uq_chat_slot_conversation_slot"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conversation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"))
    slot: so.Mapped[int] = so.mapped_column()
    endpoint_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("model_endpoint.id", ondelete="SET NULL"), index=True)
    endpoint_name: so.Mapped[str] = so.mapped_column(sa.String(128))
    system_prompt: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    temperature: so.Mapped[Optional[float]] = so.mapped_column()
    max_tokens: so.Mapped[Optional[int]] = so.mapped_column()

    conversation: so.Mapped[Conversation] = so.relationship(back_populates="slots")

    @property
    def label(self) -> str:
        return slot_label(self.slot)


class ChatMessage(db.Model):
    """A user message (``slot`` NULL) or one slot's answer, with its status and measurements.

    ``status``: ``streaming`` while the answer is produced, then ``complete``, ``stopped`` (the user stopped it or
    went away; ``content`` holds what arrived) or ``error`` (``error`` says what went wrong).
    """

    __tablename__ = "chat_message"
    #: unique: two answers of one slot in one turn cannot both be recorded (two tabs sending at once)
    __table_args__ = (sa.Index("ix_chat_message_conversation_turn", "conversation_id", "turn", "slot", unique=True),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conversation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"))
    turn: so.Mapped[int] = so.mapped_column()
    slot: so.Mapped[Optional[int]] = so.mapped_column()
    role: so.Mapped[str] = so.mapped_column(sa.String(16))  # "user" | "assistant"
    content: so.Mapped[str] = so.mapped_column(LongText, default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="complete")
    error: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    endpoint_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("model_endpoint.id", ondelete="SET NULL"), index=True)
    endpoint_name: so.Mapped[Optional[str]] = so.mapped_column(sa.String(128))
    finish_reason: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    ttft_ms: so.Mapped[Optional[float]] = so.mapped_column()
    latency_ms: so.Mapped[Optional[float]] = so.mapped_column()
    prompt_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    completion_tokens: so.Mapped[Optional[int]] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    @property
    def tokens_per_s(self) -> Optional[float]:
        """Generation speed after the first token (completion tokens over latency minus TTFT)."""
        if not self.completion_tokens or self.latency_ms is None:
            return None
        span = self.latency_ms - (self.ttft_ms or 0.0)
        if span <= 0:
            span = self.latency_ms
        return round(self.completion_tokens / (span / 1000.0), 1) if span > 0 else None


class Preference(db.Model):
    """Which answer of a turn the user found better (``A``, ``B``, ``C``, ``tie`` or ``bad``: all bad), with an
    optional reason. ``blind``: voted in an arena, without knowing the models (the arena leaderboard keeps blind and
    named votes apart: knowing the model biases the vote)."""

    __tablename__ = "chat_preference"
    __table_args__ = (sa.UniqueConstraint("conversation_id", "turn", name="uq_chat_preference_conversation_turn"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    conversation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"))
    turn: so.Mapped[int] = so.mapped_column()
    choice: so.Mapped[str] = so.mapped_column(sa.String(8))
    reason: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    blind: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
