"""Database engine set-up that depends on the backend (SQLite pragmas) and small query helpers."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask, abort

from app.extensions import db
from app.files import private_file


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # WAL with NORMAL sync: a commit no longer waits for an fsync (samples are stored as they arrive, several times
    # a second); a crash of the process loses nothing, a power cut at most the last commits, never the file.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Put SQLite in WAL mode with foreign keys on, for every connection the app opens; its file is created
    owner-only (0600) before SQLite opens it, and its journal files take the same mode."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            if engine.url.database and engine.url.database != ":memory:":
                private_file(Path(engine.url.database))
            sa.event.listen(engine, "connect", _sqlite_pragmas)


def get_or_404(query):
    """The one row ``query`` selects, or a 404 (used for owner-scoped lookups)."""
    row = db.session.scalar(query)
    if row is None:
        abort(404)
    return row


def ping() -> tuple[bool, str]:
    """Whether the database answers ``SELECT 1``, with the error text when it does not."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        return True, "ok"
    except Exception as exc:  # any driver error means "down" for health checks
        db.session.rollback()
        return False, f"{type(exc).__name__}: {exc}"[:300]
