"""The people tables: accounts, API tokens, dashboard sessions, pending SSO logins, approval signatures.

Revision ID: 0010_people
Revises: 0009_dunning
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_people"
down_revision = "0009_dunning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create pp_people, pp_tokens, pp_sessions, pp_oidc_logins and pp_approval_signatures."""
    op.create_table(
        "pp_people",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("limit_amount", sa.BigInteger(), nullable=True),
        sa.Column("limit_currency", sa.String(3), nullable=True),
        sa.Column("slack_user_id", sa.String(64), nullable=True),
        sa.Column("oidc_subject", sa.String(400), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pp_people"),
        sa.UniqueConstraint("name", name="uq_pp_people_name"),
        sa.UniqueConstraint("slack_user_id", name="uq_pp_people_slack_user_id"),
        sa.UniqueConstraint("oidc_subject", name="uq_pp_people_oidc_subject"),
    )
    op.create_table(
        "pp_tokens",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("person_id", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("revoked_at", sa.String(40), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pp_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_pp_tokens_token_hash"),
    )
    op.create_index("ix_pp_tokens_person", "pp_tokens", ["person_id"])
    op.create_table(
        "pp_sessions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("person_id", sa.String(40), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pp_sessions"),
        sa.UniqueConstraint("secret_hash", name="uq_pp_sessions_secret_hash"),
    )
    op.create_index("ix_pp_sessions_person", "pp_sessions", ["person_id"])
    op.create_table(
        "pp_oidc_logins",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(100), nullable=False),
        sa.Column("code_verifier", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_pp_oidc_logins"),
    )
    op.create_table(
        "pp_approval_signatures",
        sa.Column("approval_id", sa.String(80), nullable=False),
        sa.Column("signer", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("approval_id", "signer", name="pk_pp_approval_signatures"),
    )


def downgrade() -> None:
    """Drop the people tables."""
    op.drop_table("pp_approval_signatures")
    op.drop_table("pp_oidc_logins")
    op.drop_index("ix_pp_sessions_person", table_name="pp_sessions")
    op.drop_table("pp_sessions")
    op.drop_index("ix_pp_tokens_person", table_name="pp_tokens")
    op.drop_table("pp_tokens")
    op.drop_table("pp_people")
