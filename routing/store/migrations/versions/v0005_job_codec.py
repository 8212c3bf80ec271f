"""plan jobs in the store's own stored form, not pickles

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000

Until 0004 the ``spec``, ``progress``, ``error`` and ``plan`` columns of ``plan_jobs`` held
pickles of the job's dataclasses (tied to Python's pickle and to the classes' module paths).
From 0005 they hold the store's own versioned form (:mod:`routing.store.codec`: a format byte,
then MessagePack). This revision rewrites every row: pickle -> object -> stored form. Blobs
already in a stored form are left as they are (a pickle starts with 0x80, a stored form with
its format byte). The pickles are this server's own rows, read here for the last time.

Downgrade: every blob back to a pickle.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

CHUNK = 200  # rows read and rewritten per statement (a plan can be large)
COLUMNS = ("spec", "progress", "error", "plan")


def _forms() -> dict[str, Any]:
    from routing.store.codec import JOB_ERRORS, JOB_PLANS, JOB_PROGRESS, JOB_SPECS

    return {"spec": JOB_SPECS, "progress": JOB_PROGRESS, "error": JOB_ERRORS, "plan": JOB_PLANS}


def upgrade() -> None:
    forms = _forms()

    def convert(name: str, blob: bytes) -> bytes | None:
        form = forms[name]
        if form.is_stored_form(blob):
            return None
        return bytes(form.encode(pickle.loads(blob)))  # our own rows: trusted

    _rewrite(convert)


def downgrade() -> None:
    forms = _forms()

    def convert(name: str, blob: bytes) -> bytes | None:
        form = forms[name]
        if not form.is_stored_form(blob):
            return None
        return pickle.dumps(form.decode(blob), protocol=pickle.HIGHEST_PROTOCOL)

    _rewrite(convert)


def _rewrite(convert: Callable[[str, bytes], bytes | None]) -> None:
    """Each blob of every row through ``convert(column, blob)`` (None: keep it), in chunks."""
    conn = op.get_bind()
    jobs = sa.table(
        "plan_jobs",
        sa.column("job_id", sa.String),
        *(sa.column(c, sa.LargeBinary) for c in COLUMNS),
    )
    last: str | None = None
    while True:
        query = sa.select(jobs).order_by(jobs.c.job_id).limit(CHUNK)
        if last is not None:
            query = query.where(jobs.c.job_id > last)
        chunk = conn.execute(query).all()
        if not chunk:
            return
        for row in chunk:
            values: dict[str, bytes] = {}
            for name in COLUMNS:
                blob = getattr(row, name)
                if blob is None:
                    continue
                try:
                    new = convert(name, bytes(blob))
                except Exception as exc:
                    raise RuntimeError(
                        f"plan job {row.job_id!r}, column {name}: cannot convert it: {exc}"
                    ) from exc
                if new is not None:
                    values[name] = new
            if values:
                conn.execute(sa.update(jobs).where(jobs.c.job_id == row.job_id).values(values))
        last = chunk[-1].job_id
