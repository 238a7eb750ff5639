"""Settings an admin changes at run time (stored, unlike config.py's environment variables)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.extensions import db


class AppSetting(db.Model):
    """One named setting with a JSON value."""

    __tablename__ = "app_setting"

    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    value: so.Mapped[Any] = so.mapped_column(sa.JSON)
