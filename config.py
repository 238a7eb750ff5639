"""EvalHub settings, read from environment variables.

Every variable is documented in README.md ("Configuration"). The *embedded default* is what you get with
neither ``DATABASE_URL`` nor ``REDIS_URL`` set: a SQLite file and an in-process fakeredis queue inside
``EVALHUB_DATA_DIR``. Outside the embedded default no secret has a usable default: a missing ``SECRET_KEY``
stops the app at start with a message that says what to set.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _env_bool(env, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(env, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def normalize_database_url(url: str) -> str:
    """Use pymysql for MySQL/MariaDB URLs and make sure the connection speaks utf8mb4."""
    if url.startswith("mysql://"):
        url = "mysql+pymysql://" + url[len("mysql://"):]
    if url.startswith("mysql+pymysql://") and "charset=" not in url:
        url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return url


def _embedded_secret(data_dir: Path) -> str:
    """The embedded default keeps a generated secret in the data directory so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    from app.files import private_dir  # here: app imports config
    private_dir(data_dir)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


class Config:
    """Settings of one app instance, taken from ``env`` (``os.environ`` by default)."""

    TESTING = False

    def __init__(self, env=None):
        env = os.environ if env is None else env
        self.DATA_DIR = Path(env.get("EVALHUB_DATA_DIR") or BASE_DIR / "instance").resolve()
        database_url = env.get("DATABASE_URL", "").strip()
        redis_url = env.get("REDIS_URL", "").strip()
        #: True when no external service is configured: SQLite + embedded fakeredis + embedded worker.
        self.EMBEDDED = not database_url and not redis_url
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            database_url or f"sqlite:///{self.DATA_DIR / 'evalhub.db'}")
        #: Empty means "embedded queue": the app starts a fakeredis TCP server and fills this in.
        self.REDIS_URL = redis_url
        #: A server's connections may be dropped (restart, wait_timeout): test each before use and renew hourly.
        #: A SQLite file has no server, so no round trip per request for it.
        #: Every connection has timeouts, so a database that accepts connections and never answers gives errors
        #: (503) within seconds instead of hanging every thread: EVALHUB_DB_CONNECT_TIMEOUT (s, default 3) to
        #: connect and EVALHUB_DB_READ_TIMEOUT (s, default 10) per read or write; a request waits at most
        #: EVALHUB_DB_CONNECT_TIMEOUT for a free pooled connection.
        connect_timeout = _env_int(env, "EVALHUB_DB_CONNECT_TIMEOUT", 3)
        io_timeout = _env_int(env, "EVALHUB_DB_READ_TIMEOUT", 10)
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            self.SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 10}}
        else:
            self.SQLALCHEMY_ENGINE_OPTIONS = {
                "pool_pre_ping": True, "pool_recycle": 3600, "pool_timeout": connect_timeout,
                "connect_args": {"connect_timeout": connect_timeout, "read_timeout": io_timeout,
                                 "write_timeout": io_timeout}}

        secret = env.get("SECRET_KEY", "").strip()
        if not secret:
            if not self.EMBEDDED:
                raise ConfigError(
                    "SECRET_KEY is not set. Outside the embedded default (DATABASE_URL or REDIS_URL set) "
                    "EvalHub needs a secret: export SECRET_KEY=$(python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')")
            secret = _embedded_secret(self.DATA_DIR)
        self.SECRET_KEY = secret

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool(env, "EVALHUB_SECURE_COOKIES", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * _env_int(env, "EVALHUB_REMEMBER_DAYS", 14)
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

        self.PASSWORD_HASH_METHOD = "scrypt"
        self.PASSWORD_MIN_LENGTH = _env_int(env, "EVALHUB_PASSWORD_MIN_LENGTH", 8)
        self.LOGIN_MAX_FAILURES = _env_int(env, "EVALHUB_LOGIN_MAX_FAILURES", 5)
        self.LOGIN_LOCKOUT_SECONDS = 60 * _env_int(env, "EVALHUB_LOGIN_LOCKOUT_MINUTES", 15)
        #: Failed sign-ins from one address, whatever the names, before that address is locked (spraying).
        self.LOGIN_MAX_ADDRESS_FAILURES = _env_int(env, "EVALHUB_LOGIN_MAX_ADDRESS_FAILURES", 20)
        #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
        self.PROXY_HOPS = _env_int(env, "EVALHUB_PROXY_HOPS", 0)
        self.ADMIN_PASSWORD = env.get("EVALHUB_ADMIN_PASSWORD") or None

        #: Fernet key for model API keys at rest; derived from SECRET_KEY when unset.
        self.ENCRYPTION_KEY = env.get("EVALHUB_ENCRYPTION_KEY", "").strip() or None
        #: Whether model base URLs may point at private or loopback addresses, until an admin changes it.
        self.ALLOW_PRIVATE_URLS = _env_bool(env, "EVALHUB_ALLOW_PRIVATE_URLS", self.EMBEDDED)
        self.MODEL_CHECK_TIMEOUT = float(env.get("EVALHUB_MODEL_CHECK_TIMEOUT", "15"))

        #: Largest request body (dataset uploads); bigger requests answer 413.
        self.MAX_UPLOAD_MB = _env_int(env, "EVALHUB_MAX_UPLOAD_MB", 50)
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_MB * 1024 * 1024

        #: Interpreter that runs evalscope (its own virtualenv if you keep it apart); default: this one.
        self.EVALSCOPE_PYTHON = env.get("EVALHUB_EVALSCOPE_PYTHON", "").strip() or None
        #: Interpreter of OpenCompass's own virtualenv (scripts/opencompass_venv.sh creates the default one).
        self.OPENCOMPASS_PYTHON = (env.get("EVALHUB_OPENCOMPASS_PYTHON", "").strip()
                                   or str(BASE_DIR / ".venv-opencompass" / "bin" / "python"))
        #: Longest a run may take, and how long a running run's heartbeat may be silent before it counts as dead.
        self.RUN_MAX_MINUTES = _env_int(env, "EVALHUB_RUN_MAX_MINUTES", 24 * 60)
        self.RUN_DEAD_AFTER_SECONDS = _env_int(env, "EVALHUB_RUN_DEAD_AFTER_SECONDS", 30)
        #: How often every worker publishes what it can run and (one machine at a time) reaps dead runs and
        #: queues lost jobs again.
        self.MAINTENANCE_SECONDS = _env_int(env, "EVALHUB_MAINTENANCE_SECONDS", 10)
        #: Life of a lease on a model endpoint's capacity (renewed while held): a dead worker's share comes back
        #: within this time.
        self.SCHEDULER_LEASE_SECONDS = _env_int(env, "EVALHUB_SCHEDULER_LEASE_SECONDS", 30)

        #: Seconds a benchmark's test request (and each benchmark request's TCP connect) may wait for the model.
        self.PERF_CONNECT_TIMEOUT = _env_int(env, "EVALHUB_PERF_CONNECT_TIMEOUT", 10)

        #: Votes a model needs on the arena leaderboard before its rating is not marked "needs more votes".
        self.ARENA_MIN_VOTES = _env_int(env, "EVALHUB_ARENA_MIN_VOTES", 20)

        self.EMBEDDED_WORKERS = _env_int(env, "EVALHUB_EMBEDDED_WORKERS", 1)
        #: ``opencompass`` is served only by workers that have OpenCompass (they add it themselves).
        self.JOB_QUEUES = ("evals", "opencompass", "perf", "default")
        self.LOG_LEVEL = env.get("EVALHUB_LOG_LEVEL", "INFO").upper()

        self.LANGUAGES = ("en", "zh")
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "app" / "translations")
        self.PER_PAGE = 25


class TestConfig(Config):
    """Settings of the test-suite: CSRF off (a dedicated test turns it on), cheap password hashing."""

    TESTING = True
    __test__ = False  # not a pytest test class

    def __init__(self, env=None, **overrides):
        env = dict(os.environ if env is None else env)
        env.setdefault("SECRET_KEY", "test-secret-key")
        super().__init__(env)
        self.WTF_CSRF_ENABLED = False
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
        self.SERVER_NAME = None
        self.ALLOW_PRIVATE_URLS = True  # the fake model server listens on 127.0.0.1
        self.MODEL_CHECK_TIMEOUT = 2.0
        self.RUN_DEAD_AFTER_SECONDS = 15
        for key, value in overrides.items():
            setattr(self, key, value)
