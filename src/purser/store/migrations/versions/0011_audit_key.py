"""The audit chain's scheme column: `hmac-sha256:<key id>` for records keyed with PURSER_AUDIT_KEY.

Records already in the chain keep NULL: they were sealed with plain sha256 and still verify that
way (`purser.ports.audit`); every record appended once a key is configured is keyed.

Revision ID: 0011_audit_key
Revises: 0010_people
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_audit_key"
down_revision = "0010_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add gw_audit_log.scheme (NULL: legacy unkeyed sha256)."""
    with op.batch_alter_table("gw_audit_log") as batch:
        batch.add_column(sa.Column("scheme", sa.String(40), nullable=True))


def downgrade() -> None:
    """Drop gw_audit_log.scheme (keyed records no longer verify after that)."""
    with op.batch_alter_table("gw_audit_log") as batch:
        batch.drop_column("scheme")
