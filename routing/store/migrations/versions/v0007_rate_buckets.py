"""rate-limit buckets shared by every server process and replica

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 05:30:00.000000

One row per tenant: the tokens its bucket held at a moment (seconds since the epoch). Every
process leases small chunks from it (routing.store.rates), so N processes or N replicas
together allow the tenant's rate once, not N times.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("at_s", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("tenant"),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
