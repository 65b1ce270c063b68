"""The people tables (prefix `pp_`, DESIGN §11): accounts, API tokens, dashboard sessions, pending SSO
logins and the signatures of two-person approvals. Secrets are stored as SHA-256 hashes (tokens, session
cookies, SSO states) or argon2id (passwords). Times are ISO-8601 UTC strings, which sort as text."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, PrimaryKeyConstraint, String, Table

from purser.store.db import metadata

pp_people = Table(
    "pp_people",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("limit_amount", BigInteger, nullable=True),
    Column("limit_currency", String(3), nullable=True),
    Column("slack_user_id", String(64), nullable=True, unique=True),
    Column("oidc_subject", String(400), nullable=True, unique=True),
    Column("password_hash", String(200), nullable=True),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", String(40), nullable=False),
)

pp_tokens = Table(
    "pp_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40), nullable=True),
)
Index("ix_pp_tokens_person", pp_tokens.c.person_id)

pp_sessions = Table(
    "pp_sessions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
)
Index("ix_pp_sessions_person", pp_sessions.c.person_id)

pp_oidc_logins = Table(
    "pp_oidc_logins",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("nonce", String(100), nullable=False),
    Column("code_verifier", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
)

pp_approval_signatures = Table(
    "pp_approval_signatures",
    metadata,
    Column("approval_id", String(80), nullable=False),
    Column("signer", String(200), nullable=False),
    Column("signed_at", String(40), nullable=False),
    PrimaryKeyConstraint("approval_id", "signer"),
)

__all__ = ["pp_approval_signatures", "pp_oidc_logins", "pp_people", "pp_sessions", "pp_tokens"]
