"""The people's secrets: argon2id password hashes, API tokens and session cookies (random, stored as hashes).

API tokens and session secrets are 256 random bits, so a plain SHA-256 of them is as good as a slow hash
(nothing to guess) and lets the server find the row by hash. Passwords are chosen by people, so they get
argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile).
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "pst_"
"""Every API token starts with this (secret scanners and people can tell what leaked)."""

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 12
"""Shorter passwords are refused at creation."""


def hash_password(password: str) -> str:
    """The argon2id hash (with its own salt and parameters) of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches `password_hash` (False, in constant effort, when there is no hash)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret(prefix: str = "") -> str:
    """A fresh 256-bit URL-safe secret (with `prefix`)."""
    return prefix + secrets.token_urlsafe(32)


def new_id(prefix: str) -> str:
    """A random row id such as `per_3f9a...`."""
    return prefix + secrets.token_hex(8)


def secret_hash(secret: str) -> str:
    """hex SHA-256 of a token or a cookie secret (what the database keeps)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


__all__ = [
    "MIN_PASSWORD_LENGTH",
    "TOKEN_PREFIX",
    "hash_password",
    "new_id",
    "new_secret",
    "secret_hash",
    "verify_password",
]
