"""decisions in the store's own stored form, not the wire message

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00.000000

Until 0003 a decision row held the public ``reroute.v1.RouteDecision`` message (column
``decision_pb``), so any change to the proto changed the database. From 0004 it holds the
store's own versioned form (:mod:`routing.store.codec`: a format byte, then the Decision as
MessagePack) in column ``decision_blob``. This revision renames the column and rewrites every
row: wire bytes -> Decision -> stored form. Rows whose first byte is already a stored format
are left as they are (a wire message never starts with 0x01: field number 0 does not exist).

This is the one module under ``routing/store`` that imports the wire contract: reading the
legacy rows needs the wire decoder (``routing.rpc.wire.decisions.decision_from_proto``) and the
downgrade its encoder (``decision_to_proto``), imported when the revision runs. Rows are
written in the codec's current format (each blob names its format, so a later format's
migration converts from whichever it finds).

Downgrade: every row back to wire bytes, and the column renamed back to ``decision_pb``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

CHUNK = 500  # rows read and rewritten per statement


def upgrade() -> None:
    from reroute.v1 import routing_pb2
    from routing.rpc.wire.decisions import decision_from_proto
    from routing.store.codec import DECISIONS, encode_decision

    _rename("decision_pb", "decision_blob")

    def convert(blob: bytes) -> bytes | None:
        if DECISIONS.is_stored_form(blob):
            return None
        msg = routing_pb2.RouteDecision.FromString(blob)
        return encode_decision(decision_from_proto(msg))

    _rewrite("decision_blob", convert)


def downgrade() -> None:
    from routing.rpc.wire.decisions import decision_to_proto
    from routing.store.codec import DECISIONS, decode_decision

    def convert(blob: bytes) -> bytes | None:
        if not DECISIONS.is_stored_form(blob):
            return None  # not a stored form: left as it is
        return decision_to_proto(decode_decision(blob)).SerializeToString()

    _rewrite("decision_blob", convert)
    _rename("decision_blob", "decision_pb")


def _rename(old: str, new: str) -> None:
    # RENAME COLUMN on both databases (SQLite >= 3.25): no table copy, which SQLite's batch
    # mode would make (and the reservations' foreign key into this table would object to)
    op.execute(sa.text(f"ALTER TABLE decisions RENAME COLUMN {old} TO {new}"))


def _rewrite(column: str, convert: Callable[[bytes], bytes | None]) -> None:
    """Every row's ``column`` through ``convert`` (None: keep it), in chunks by seq."""
    conn = op.get_bind()
    rows = sa.table("decisions", sa.column("seq", sa.BigInteger), sa.column(column, sa.LargeBinary))
    blob = rows.c[column]
    write = (
        sa.update(rows).where(rows.c.seq == sa.bindparam("s")).values({column: sa.bindparam("b")})
    )
    last: int | None = None
    while True:
        query = sa.select(rows.c.seq, blob).order_by(rows.c.seq).limit(CHUNK)
        if last is not None:
            query = query.where(rows.c.seq > last)
        chunk = conn.execute(query).all()
        if not chunk:
            return
        changed = []
        for seq, old in chunk:
            try:
                new = convert(bytes(old))
            except Exception as exc:
                raise RuntimeError(f"decision row seq={seq}: cannot convert it: {exc}") from exc
            if new is not None:
                changed.append({"s": seq, "b": new})
        if changed:
            conn.execute(write, changed)
        last = chunk[-1][0]
