"""the reclaim ledger: claims opened from stored decisions

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 06:00:00.000000

``claims`` holds one row per reclaim route a stored decision can recover (routing.store.claims),
with its lifecycle state, evidence references and the dates and amounts a filing needs;
``claims_projection`` how far the ledger has read ``decisions``. Decisions stored before this
revision open their claims on the first ledger call after it (the projection starts at 0).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("claim_id", sa.String(length=80), nullable=False),
        sa.Column("tenant_id", BigId, nullable=False),
        sa.Column("decision_seq", BigId, nullable=False),
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("claimant", sa.String(length=32), nullable=False),
        sa.Column("export_country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("duty_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("export_by", sa.Date(), nullable=True),
        sa.Column("required_evidence", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("received_minor", sa.BigInteger(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_claims_tenant_id"),
        sa.ForeignKeyConstraint(["decision_seq"], ["decisions.seq"], name="fk_claims_decision_seq"),
        sa.PrimaryKeyConstraint("claim_id"),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_decision_seq"), ["decision_seq"])
        batch_op.create_index("ix_claims_tenant_deadline", ["tenant_id", "deadline"])
        batch_op.create_index("ix_claims_tenant_state", ["tenant_id", "state"])
    op.create_table(
        "claims_projection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("claims_projection")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_tenant_state")
        batch_op.drop_index("ix_claims_tenant_deadline")
        batch_op.drop_index(batch_op.f("ix_claims_decision_seq"))
    op.drop_table("claims")
