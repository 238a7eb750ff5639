"""EvalHub: the application factory. It reads like a table of contents."""
from __future__ import annotations

import logging

from flask import Flask

from app.files import private_dir
from app.json_provider import BoundedJSONProvider
from config import BASE_DIR, Config


def create_app(config: Config | None = None) -> Flask:
    """Build the Flask app: settings, extensions, blueprints, error handlers, template helpers, CLI."""
    app = Flask(__name__, template_folder=str(BASE_DIR / "templates"), static_folder=str(BASE_DIR / "static"))
    app.json = BoundedJSONProvider(app)
    app.config.from_object(config or Config())
    private_dir(app.config["DATA_DIR"])
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)

    from app import errors, cli, security, templating
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    return app


def configure_logging(app: Flask) -> None:
    """Log to stderr at ``EVALHUB_LOG_LEVEL``; gunicorn and the worker pick the same handlers up."""
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.logger.setLevel(app.config["LOG_LEVEL"])


def register_extensions(app: Flask) -> None:
    from app.extensions import babel, csrf, db, login_manager, migrate, queues
    from app import database, i18n
    from app.auth import session as auth_session

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    auth_session.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    queues.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.chat import bp as chat_bp
    from app.datasets import bp as datasets_bp
    from app.endpoints import bp as models_bp
    from app.evals import bp as evals_bp
    from app.leaderboards import bp as leaderboards_bp
    from app.main import bp as main_bp
    from app.perf import bp as perf_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(chat_bp, url_prefix="/chat")
    app.register_blueprint(models_bp, url_prefix="/models")
    app.register_blueprint(evals_bp, url_prefix="/evals")
    app.register_blueprint(leaderboards_bp, url_prefix="/leaderboards")
    app.register_blueprint(perf_bp, url_prefix="/perf")
    app.register_blueprint(datasets_bp, url_prefix="/datasets")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
