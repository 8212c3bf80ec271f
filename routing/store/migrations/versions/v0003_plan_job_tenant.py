"""plan jobs belong to a tenant

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000

``plan_jobs.tenant_id`` references ``tenants`` like ``decisions.tenant_id``. Jobs stored
before this revision were submitted without a tenant: they go to tenant ``default`` (the
tenant of a server without authentication, and the one ``bootstrap`` creates), created here
when there are such jobs and no ``default`` tenant yet.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

DEFAULT_TENANT = "default"  # routing.rpc.app.DEFAULT_TENANT as of this revision (frozen here)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tenant_id", BigId, nullable=True))
    conn = op.get_bind()
    jobs = sa.table("plan_jobs", sa.column("job_id"), sa.column("tenant_id"))
    tenants = sa.table("tenants", sa.column("id"), sa.column("name"), sa.column("created_at"))
    if conn.execute(sa.select(jobs.c.job_id).limit(1)).first() is not None:
        find = sa.select(tenants.c.id).where(tenants.c.name == DEFAULT_TENANT)
        tid = conn.execute(find).scalar_one_or_none()
        if tid is None:
            conn.execute(
                sa.insert(tenants).values(name=DEFAULT_TENANT, created_at=datetime.now(UTC))
            )
            tid = conn.execute(find).scalar_one()
        conn.execute(sa.update(jobs).values(tenant_id=tid))
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.alter_column("tenant_id", existing_type=BigId, nullable=False)
        batch_op.create_index(batch_op.f("ix_plan_jobs_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_foreign_key("fk_plan_jobs_tenant_id", "tenants", ["tenant_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_plan_jobs_tenant_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_plan_jobs_tenant_id"))
        batch_op.drop_column("tenant_id")
