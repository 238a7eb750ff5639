"""The data directory, the SQLite database (and its journal files) and job folders are owner-only (issue #11)."""
import os
import stat
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from config import TestConfig
from workers.runner import scratch_dir


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    """The usual 022 umask, under which plain mkdir / open give 0755 / 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def sqlite_app(data_dir):
    return create_app(TestConfig({"EVALHUB_DATA_DIR": str(data_dir), "SECRET_KEY": "k"}))


def test_a_fresh_data_dir_database_and_journal_are_owner_only(tmp_path, open_umask):
    data = tmp_path / "fresh" / "data"
    app = sqlite_app(data)
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE t (x INTEGER)"))
        db.session.execute(sa.text("INSERT INTO t VALUES (1)"))
        db.session.commit()
        assert mode(data) == 0o700 and mode(data.parent) == 0o700
        assert mode(data / "evalhub.db") == 0o600
        assert mode(data / "evalhub.db-wal") == 0o600 and mode(data / "evalhub.db-shm") == 0o600
        db.engine.dispose()


def test_an_existing_open_data_dir_and_database_are_narrowed(tmp_path, open_umask):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "evalhub.db").write_bytes(b"")
    os.chmod(data / "evalhub.db", 0o644)
    app = sqlite_app(data)
    assert mode(data) == 0o700 and mode(data / "evalhub.db") == 0o600
    with app.app_context():
        db.engine.dispose()


def test_job_folders_are_owner_only(app, tmp_path, open_umask):
    app.config["DATA_DIR"] = tmp_path / "jobs-home"
    path = scratch_dir(SimpleNamespace(attempts=1, id=7, __tablename__="eval_run"))
    assert mode(path) == 0o700 and mode(path.parent) == 0o700
    assert scratch_dir(SimpleNamespace(attempts=2, id=7, __tablename__="eval_run")) != path  # each attempt its own
