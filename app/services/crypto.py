"""Secrets at rest (model API keys): Fernet, keyed by ``EVALHUB_ENCRYPTION_KEY`` or derived from ``SECRET_KEY``."""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted (the encryption key or SECRET_KEY changed)."""


def _fernet() -> Fernet:
    key = current_app.config.get("ENCRYPTION_KEY")
    if not key:
        digest = hashlib.sha256(b"evalhub-secrets:" + current_app.config["SECRET_KEY"].encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("A stored API key cannot be decrypted: was EVALHUB_ENCRYPTION_KEY or SECRET_KEY "
                               "changed? Set the key again on the model's edit page.") from exc
