"""Signed use-case registrations (`govern register`): intake approved, not just declared.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("policy_digest", sa.String(), nullable=True),
        sa.Column("signed_at", TS, nullable=False),
        sa.Column("key_fingerprint", sa.String(), nullable=True),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("payload_digest", sa.String(), nullable=False),
        sa.Column("canonical_payload", sa.Text(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("descriptor_digest", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("signer", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registration"),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_case.id"], name="fk_registration_use_case_id_use_case"),
        sa.UniqueConstraint("payload_digest", "signature", name="uq_registration_payload_digest_signature"),
    )
    op.create_index("ix_registration_use_case_id", "registration", ["use_case_id"])


def downgrade() -> None:
    op.drop_index("ix_registration_use_case_id", table_name="registration")
    op.drop_table("registration")
