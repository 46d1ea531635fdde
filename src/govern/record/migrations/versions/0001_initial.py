"""The first schema: registries, evaluations with normalised results, signed records, the audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _registry(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        *extra,
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("digest", name=f"uq_{name}_digest"),
    )


def _signed_columns() -> list[sa.Column]:
    return [
        sa.Column("use_case_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("policy_digest", sa.String(), nullable=True),
        sa.Column("signed_at", TS, nullable=False),
        sa.Column("key_fingerprint", sa.String(), nullable=True),
        sa.Column("signature", sa.String(), nullable=False),
        sa.Column("payload_digest", sa.String(), nullable=False),
        sa.Column("canonical_payload", sa.Text(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
    ]


def _child(name: str, *columns: sa.Column) -> None:
    """A result row belonging to one evaluation."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluation.id"], name=f"fk_{name}_evaluation_id_evaluation"),
    )


def upgrade() -> None:
    op.create_table(
        "use_case",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("latest_evaluation_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_use_case"),
    )
    _registry("model_version", sa.Column("name", sa.String(), nullable=True),
              sa.Column("version", sa.String(), nullable=True))
    _registry("policy_version", sa.Column("name", sa.String(), nullable=False),
              sa.Column("version", sa.String(), nullable=False))
    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", sa.String(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("decision_digest", sa.String(), nullable=False),
        sa.Column("use_case_digest", sa.String(), nullable=False),
        sa.Column("evidence_digest", sa.String(), nullable=False),
        sa.Column("plan_digest", sa.String(), nullable=False),
        sa.Column("tier", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("furthest_stage", sa.String(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("govern_version", sa.String(), nullable=False),
        sa.Column("decision_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation"),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_case.id"], name="fk_evaluation_use_case_id_use_case"),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_version.id"],
                                name="fk_evaluation_model_version_id_model_version"),
        sa.ForeignKeyConstraint(["policy_version_id"], ["policy_version.id"],
                                name="fk_evaluation_policy_version_id_policy_version"),
    )
    op.create_index("ix_evaluation_use_case_id_id", "evaluation", ["use_case_id", "id"])
    _child("gate_result", sa.Column("position", sa.Integer(), nullable=False),
           sa.Column("gate", sa.String(), nullable=False), sa.Column("status", sa.String(), nullable=False))
    op.create_index("ix_gate_result_evaluation_id", "gate_result", ["evaluation_id"])
    _child("check_result", sa.Column("gate", sa.String(), nullable=False),
           sa.Column("check_id", sa.String(), nullable=False), sa.Column("kind", sa.String(), nullable=False),
           sa.Column("status", sa.String(), nullable=False), sa.Column("enforcement", sa.String(), nullable=False),
           sa.Column("waiver_approver", sa.String(), nullable=True),
           sa.Column("waiver_expires", sa.Date(), nullable=True))
    op.create_index("ix_check_result_evaluation_id_status", "check_result", ["evaluation_id", "status"])
    _child("signoff_result", sa.Column("gate", sa.String(), nullable=False),
           sa.Column("role", sa.String(), nullable=False), sa.Column("required", sa.Integer(), nullable=False),
           sa.Column("approved", sa.Integer(), nullable=False), sa.Column("status", sa.String(), nullable=False))
    op.create_index("ix_signoff_result_evaluation_id_status", "signoff_result", ["evaluation_id", "status"])
    _child("approval", sa.Column("gate", sa.String(), nullable=False), sa.Column("role", sa.String(), nullable=False),
           sa.Column("signer", sa.String(), nullable=False), sa.Column("decision", sa.String(), nullable=False),
           sa.Column("signed_at", TS, nullable=False), sa.Column("expires", sa.Date(), nullable=True),
           sa.Column("key_fingerprint", sa.String(), nullable=True))
    op.create_index("ix_approval_evaluation_id", "approval", ["evaluation_id"])
    op.create_table(
        "signoff",
        *_signed_columns(),
        sa.Column("gate", sa.String(), nullable=False),
        sa.Column("signer", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("model_digest", sa.String(), nullable=False),
        sa.Column("evidence_digest", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_signoff"),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_case.id"], name="fk_signoff_use_case_id_use_case"),
        sa.UniqueConstraint("payload_digest", "signature", name="uq_signoff_payload_digest_signature"),
    )
    op.create_index("ix_signoff_use_case_id_gate_role", "signoff", ["use_case_id", "gate", "role"])
    op.create_table(
        "waiver",
        *_signed_columns(),
        sa.Column("check_id", sa.String(), nullable=False),
        sa.Column("approver", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_waiver"),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_case.id"], name="fk_waiver_use_case_id_use_case"),
        sa.UniqueConstraint("payload_digest", "signature", name="uq_waiver_payload_digest_signature"),
    )
    op.create_index("ix_waiver_use_case_id_check_id", "waiver", ["use_case_id", "check_id"])
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("payload_digest", sa.String(), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.Column("recorded_at", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_event"),
    )


def downgrade() -> None:
    for index, table in [("ix_waiver_use_case_id_check_id", "waiver"), ("ix_signoff_use_case_id_gate_role", "signoff"),
                         ("ix_approval_evaluation_id", "approval"),
                         ("ix_signoff_result_evaluation_id_status", "signoff_result"),
                         ("ix_check_result_evaluation_id_status", "check_result"),
                         ("ix_gate_result_evaluation_id", "gate_result"),
                         ("ix_evaluation_use_case_id_id", "evaluation")]:
        op.drop_index(index, table_name=table)
    for table in ("audit_event", "waiver", "signoff", "approval", "signoff_result", "check_result", "gate_result",
                  "evaluation", "policy_version", "model_version", "use_case"):
        op.drop_table(table)
