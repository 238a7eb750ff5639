"""Users: creation, sign-in with throttling, password changes, admin actions."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import ROLES, AuditEvent, User
from app.models.types import utcnow
from app.models.user import new_session_nonce
from app.services import audit, tokens


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message is for the person.

    ``field`` names the form field the message belongs to, when there is one.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class LoginResult:
    user: User | None = None
    error: object = None  # a (lazy) message for the person
    retry_after: int = 0  # seconds, when throttled


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))


def validate_password(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise AccountError(_l("The password must have at least %(n)d characters.", n=minimum), "new_password")


def create_user(username: str, password: str, role: str = "user", actor: User | None = None) -> User:
    """Create a user; raises ``AccountError`` for a taken name, a bad role or a short password."""
    username = username.strip()
    if not username:
        raise AccountError(_l("A username is required."), "username")
    if role not in ROLES:
        raise AccountError(_l("Unknown role %(role)s.", role=role), "role")
    if find_user(username) is not None:
        raise AccountError(_l("The username %(name)s is taken.", name=username), "username")
    validate_password(password)
    user = User(username=username, role=role)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor, target=user, detail=f"{username} ({role})")
    db.session.commit()
    return user


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    """A hash to check unknown names against, so they cost what a known name's wrong password costs."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _lockout_left(since, limit: int, *conditions) -> int:
    """Seconds left of a lockout: ``limit`` failed sign-ins matching ``conditions`` after ``since`` start one."""
    count, latest = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(AuditEvent.created_at))
        .where(AuditEvent.action == "login.failure", AuditEvent.created_at > since, *conditions)).one()
    if count < limit or latest is None:
        return 0
    latest = latest if latest.tzinfo else latest.replace(tzinfo=utcnow().tzinfo)
    return max(1, int(current_app.config["LOGIN_LOCKOUT_SECONDS"] - (utcnow() - latest).total_seconds()))


def _throttle_wait(username: str, address: str | None) -> int:
    """Seconds until this attempt may be made. Two locks, neither of which lets a stranger lock an account out:

    - the name from this address: ``LOGIN_MAX_FAILURES`` failures since the last success there lock that pair
      only, so the owner signing in from another address still can;
    - this address, whatever the names: ``LOGIN_MAX_ADDRESS_FAILURES`` failures lock it (password spraying).
    """
    cfg = current_app.config
    window_start = utcnow() - timedelta(seconds=cfg["LOGIN_LOCKOUT_SECONDS"])
    pair = (AuditEvent.subject == username, AuditEvent.ip == address)
    last_success = db.session.scalar(sa.select(sa.func.max(AuditEvent.created_at))
                                     .where(AuditEvent.action == "login.success", *pair))
    since = max(window_start, last_success) if last_success else window_start
    return max(_lockout_left(since, cfg["LOGIN_MAX_FAILURES"], *pair),
               _lockout_left(window_start, cfg["LOGIN_MAX_ADDRESS_FAILURES"], AuditEvent.ip == address))


def authenticate(username: str, password: str) -> LoginResult:
    """Check a sign-in attempt, recording it. Throttled attempts are refused before the password is checked.

    A wrong password and an unknown name cost the same (one hash check each): timing does not tell which
    names exist.
    """
    username = username.strip()
    wait = _throttle_wait(username, request.remote_addr)
    if wait:
        audit.record("login.throttled", subject=username)
        db.session.commit()
        minutes = (wait + 59) // 60
        return LoginResult(error=_l("Too many failed sign-in attempts. Try again in %(n)d minute(s).", n=minutes),
                           retry_after=wait)
    user = find_user(username)
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    if user is None or not user.check_password(password):
        audit.record("login.failure", subject=username)
        db.session.commit()
        return LoginResult(error=_l("Wrong username or password."))
    if not user.active:
        audit.record("login.inactive", user)
        db.session.commit()
        return LoginResult(error=_l("This account is deactivated. Ask an administrator."))
    user.last_login_at = utcnow()
    audit.record("login.success", user)
    db.session.commit()
    return LoginResult(user=user)


def sign_out(user: User) -> None:
    """End every session of ``user``: a copied session or remember-me cookie stops working too."""
    user.session_nonce = new_session_nonce()
    audit.record("logout", user)
    db.session.commit()


def change_password(user: User, old: str, new: str) -> None:
    """Change ``user``'s password after checking the old one; ends every session and revokes every API token."""
    if not user.check_password(old):
        raise AccountError(_l("The current password is wrong."), "old_password")
    if old == new:
        raise AccountError(_l("The new password must differ from the current one."), "new_password")
    validate_password(new)
    user.set_password(new, current_app.config["PASSWORD_HASH_METHOD"])
    tokens.revoke_all(user, user)
    audit.record("user.password_change", user, target=user)
    db.session.commit()


def reset_password(user: User, actor: User) -> str:
    """Give ``user`` a new random password (returned, to be shown once); ends their sessions and API tokens."""
    password = secrets.token_urlsafe(12)
    user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    tokens.revoke_all(user, actor)
    audit.record("user.password_reset", actor, target=user, detail=user.username)
    db.session.commit()
    return password


def set_active(user: User, active: bool, actor: User) -> None:
    """Activate or deactivate ``user``; an admin cannot deactivate their own account."""
    if user.id == actor.id and not active:
        raise AccountError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.session_nonce = new_session_nonce()
    audit.record("user.activate" if active else "user.deactivate", actor, target=user, detail=user.username)
    db.session.commit()


def ensure_first_admin(password: str | None = None) -> tuple[User | None, str | None]:
    """Create the user ``admin`` when there is no user at all.

    Returns ``(user, generated_password)``; the password is ``None`` when it came from the caller, and the
    user is ``None`` when users already exist.
    """
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None, None
    generated = None if password else secrets.token_urlsafe(12)
    user = create_user("admin", password or generated, role="admin")
    return user, generated
