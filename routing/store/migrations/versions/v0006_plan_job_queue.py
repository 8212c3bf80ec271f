"""plan jobs wait in the database: their batch, an idempotency key, an owner and a lease

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 05:40:00.000000

A queued job's batch is kept in ``plan_jobs.batch`` (the store's own form,
:mod:`routing.store.codec`) until the job ends, so a server holds in memory only the batch of
the job it runs, and any server process sharing the database can run it. A job is claimed by
one conditional update (QUEUED -> RUNNING with ``owner`` and ``lease_expires_ms``, the epoch
milliseconds until which the owner's claim holds; it renews it while it runs).
``(tenant_id, idempotency_key)`` is unique like on ``decisions``; ``request_sha256`` is the
digest of the request that created the job under its key. ``ix_plan_jobs_tenant_created``
serves ListPlans.

Jobs stored before this revision have no batch: one still QUEUED or RUNNING is failed as
interrupted (retryable) by the first server that looks, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("request_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("batch", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_ms", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(
            "uq_plan_jobs_tenant_key", ["tenant_id", "idempotency_key"]
        )
        batch_op.create_index("ix_plan_jobs_tenant_created", ["tenant_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_jobs_tenant_created")
        batch_op.drop_constraint("uq_plan_jobs_tenant_key", type_="unique")
        batch_op.drop_column("lease_expires_ms")
        batch_op.drop_column("owner")
        batch_op.drop_column("batch")
        batch_op.drop_column("request_sha256")
        batch_op.drop_column("idempotency_key")
