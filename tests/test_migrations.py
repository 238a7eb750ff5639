"""Migrations build the whole schema on an empty database (SQLite, or MariaDB in CI) with no drift."""
from tests.apps import make_app
import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from app.extensions import db
from tests import services

MIGRATIONS = str(services.BASE_DIR / "migrations")


@pytest.fixture
def empty_db_app(session_env, tmp_path):
    url, drop = services.create_database(tmp_path)
    app = make_app(session_env, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop()


def test_upgrade_check_downgrade_upgrade(empty_db_app):
    upgrade(directory=MIGRATIONS)
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"user", "api_token", "audit_event", "model_endpoint", "app_setting", "alembic_version"} <= tables
    assert {"conversation", "chat_slot", "chat_message", "chat_preference"} <= tables  # chat
    assert {"dataset", "dataset_version", "dataset_row"} <= tables  # datasets
    assert {"perf_run", "perf_level"} <= tables  # benchmarks
    check(directory=MIGRATIONS)  # raises when the models and the migrations disagree
    downgrade(directory=MIGRATIONS, revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(directory=MIGRATIONS)
    assert {"user", "api_token", "audit_event"} <= set(sa.inspect(db.engine).get_table_names())


def test_mysql_tables_use_utf8mb4(empty_db_app):
    if db.engine.dialect.name != "mysql":
        pytest.skip("utf8mb4 applies to MySQL/MariaDB; this run uses SQLite (the MariaDB run checks it)")
    upgrade(directory=MIGRATIONS)
    from app.services import accounts
    user = accounts.create_user("测试用户", "password-123")
    db.session.expire_all()
    assert db.session.get(type(user), user.id).username == "测试用户"


def test_audit_events_of_the_current_user_proxy_are_renamed_to_user(empty_db_app):
    upgrade(directory=MIGRATIONS, revision="0006")
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_event (action, target_type, target_id, created_at) "
                             "VALUES ('user.password_change', 'localproxy', 2, '2026-01-01 00:00:00')"))
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT target_type FROM audit_event")) == "user"


def test_run_selections_are_filled_from_params(empty_db_app):
    upgrade(directory=MIGRATIONS, revision="0008")
    params = ('{"datasets": [{"dataset_id": 1, "version": 2, "subsets": ["b", "a"], "split": "test", "limit": 5}, '
              '{"dataset_id": 99, "version": 1, "subsets": [], "split": null, "limit": null}]}')
    now = "'2026-01-01 00:00:00'"
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO user (id, username, password_hash, role, active, session_nonce, created_at)"
                             f" VALUES (1, 'u', 'x', 'user', 1, 'n', {now})"))
        conn.execute(sa.text("INSERT INTO dataset (id, owner_id, name, description, format, current_version, "
                             f"dataset_info, created_at, updated_at) VALUES (1, 1, 'd', '', 'mcq', 2, '{{}}', {now}, {now})"))
        conn.execute(sa.text(
            "INSERT INTO eval_run (id, engine, sample_errors, status, params, progress_done, progress_total, attempts, "
            f"cancel_requested, created_at, endpoint_name, owner_id) VALUES (1, 'evalscope', 0, 'succeeded', :p, 0, 0, "
            f"0, 0, {now}, 'm', 1)"), {"p": params})
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT run_id, dataset_id, version, subsets, split, sample_limit "
                                    "FROM eval_run_dataset")).all()
        published = conn.scalar(sa.text("SELECT published FROM eval_run"))
    assert [tuple(r) for r in rows] == [(1, 1, 2, "a,b", "test", 5)] and not published  # dataset 99 is gone


def test_a_table_rebuild_keeps_the_rows_that_reference_it(empty_db_app):
    """SQLite rebuilds eval_run to add its parent link (0010): its samples and selections must survive it."""
    upgrade(directory=MIGRATIONS, revision="0009")
    now = "'2026-01-01 00:00:00'"
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO user (id, username, password_hash, role, active, session_nonce, created_at)"
                             f" VALUES (1, 'u', 'x', 'user', 1, 'n', {now})"))
        conn.execute(sa.text(
            "INSERT INTO eval_run (id, engine, sample_errors, status, params, progress_done, progress_total, attempts, "
            f"cancel_requested, created_at, endpoint_name, owner_id, published) VALUES (1, 'evalscope', 0, "
            f"'succeeded', '{{}}', 0, 0, 0, 0, {now}, 'm', 1, 0)"))
        conn.execute(sa.text(
            "INSERT INTO eval_sample (run_id, dataset_id, dataset_name, subset, position, question, verdict, created_at)"
            f" VALUES (1, 1, 'd', 's', 0, 'q', 'correct', {now})"))
    upgrade(directory=MIGRATIONS)
    with db.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM eval_sample")) == 1
        assert conn.scalar(sa.text("SELECT count(*) FROM eval_run")) == 1
