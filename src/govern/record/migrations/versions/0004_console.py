"""The web console's bearer tokens (stored hashed) and its access log of auditors' requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_console_token"),
        sa.UniqueConstraint("name", name="uq_console_token_name"),
        sa.UniqueConstraint("token_hash", name="uq_console_token_token_hash"),
    )
    op.create_table(
        "console_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("principal", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_access"),
    )
    op.create_index("ix_console_access_at", "console_access", ["at"])


def downgrade() -> None:
    op.drop_index("ix_console_access_at", table_name="console_access")
    op.drop_table("console_access")
    op.drop_table("console_token")
