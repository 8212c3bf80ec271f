"""The reclaim ledger in SQL: claims opened from stored decisions, listed, updated.

Claims are a projection of the decisions table: :meth:`SqlClaimLedger.catch_up` reads every
decision stored after ``claims_projection.last_seq``, opens its claims
(:func:`routing.store.claims.claims_of`) and moves the cursor, in one transaction per batch.
Every ledger call catches up first, so a decision acknowledged before a ListClaims call has its
claims listed; RouteReturn's commit is not made dearer by the ledger. Two processes catching up
at once open each claim once (its id is derived from the decision, inserts skip a taken id).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, and_, or_, select, update

from customs.api import Claimant
from routing.errors import InvalidInput, NotPermitted, UnknownResource
from routing.store.claims import Claim, ClaimState, ClaimUpdate, claims_of
from routing.store.claims import update as change_claim
from routing.store.codec import decode_decision
from routing.store.database import writer
from routing.store.sql import tenant_id, upsert
from routing.store.tables import ClaimProjection, ClaimRow, DecisionRow, Tenant

__all__ = ["ClaimFilter", "ClaimPage", "SqlClaimLedger"]

CATCH_UP_BATCH = 500  # decisions read per transaction


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    state: ClaimState | None = None
    rule_id: str = ""
    export_country: str = ""
    deadline_before: date | None = None  # deadline on or before this day


@dataclass(frozen=True, slots=True)
class ClaimPage:
    items: tuple[Claim, ...]  # by deadline, then claim id
    next_token: str  # "" when there are no more


class SqlClaimLedger:
    """The claims of every tenant, kept beside their decisions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = writer(engine)

    # -- the projection ------------------------------------------------------------------------

    def catch_up(self) -> int:
        """Open the claims of every decision stored since the last call; how many opened."""
        opened = 0
        while True:
            with self._writer.begin() as conn:
                last = conn.execute(
                    select(ClaimProjection.last_seq).where(ClaimProjection.id == 1)
                ).scalar_one_or_none()
                rows = conn.execute(
                    select(DecisionRow.seq, DecisionRow.decision_blob, Tenant.name)
                    .join(Tenant, Tenant.id == DecisionRow.tenant_id)
                    .where(DecisionRow.seq > (last or 0))
                    .order_by(DecisionRow.seq)
                    .limit(CATCH_UP_BATCH)
                ).all()
                if not rows:
                    return opened
                now = datetime.now(UTC)
                for seq, blob, tenant in rows:
                    for claim in claims_of(decode_decision(blob), tenant):
                        opened += self._open(conn, claim, int(seq), now)
                top = int(rows[-1][0])
                if last is None:
                    stmt = upsert(conn, ClaimProjection).values(id=1, last_seq=top)
                    conn.execute(
                        stmt.on_conflict_do_update(index_elements=["id"], set_={"last_seq": top})
                    )
                else:
                    conn.execute(
                        update(ClaimProjection)
                        .where(ClaimProjection.id == 1, ClaimProjection.last_seq < top)
                        .values(last_seq=top)
                    )

    def _open(self, conn: Connection, claim: Claim, seq: int, now: datetime) -> int:
        tid = tenant_id(conn, claim.tenant, create=False)
        assert tid is not None  # the decision's tenant
        stmt = upsert(conn, ClaimRow).values(
            claim_id=claim.claim_id,
            tenant_id=tid,
            decision_seq=seq,
            decision_id=claim.decision_id,
            rule_id=claim.rule_id,
            route=claim.route,
            claimant=claim.claimant.value,
            export_country=claim.export_country,
            currency=claim.currency,
            duty_minor=claim.duty_minor,
            vat_minor=claim.vat_minor,
            deadline=claim.deadline,
            export_by=claim.export_by,
            required_evidence=json.dumps(list(claim.required_evidence)),
            evidence="{}",
            state=claim.stored_state.value,
            rejection_reason="",
            created_at=now,
            updated_at=now,
        )
        result = conn.execute(stmt.on_conflict_do_nothing(index_elements=["claim_id"]))
        return int(result.rowcount or 0)

    # -- reading -------------------------------------------------------------------------------

    def page(
        self, tenant: str, flt: ClaimFilter, *, today: date, size: int, token: str = ""
    ) -> ClaimPage:
        """One page of ``tenant``'s claims matching ``flt`` (states as on ``today``)."""
        after = _parse_token(token)
        self.catch_up()
        with self.engine.connect() as conn:
            tid = tenant_id(conn, tenant, create=False)
            if tid is None:
                conn.rollback()
                return ClaimPage((), "")
            stmt = _CLAIMS.where(ClaimRow.tenant_id == tid)
            if flt.rule_id:
                stmt = stmt.where(ClaimRow.rule_id == flt.rule_id)
            if flt.export_country:
                stmt = stmt.where(ClaimRow.export_country == flt.export_country)
            if flt.deadline_before is not None:
                stmt = stmt.where(ClaimRow.deadline <= flt.deadline_before)
            if flt.state is not None:
                stmt = stmt.where(_state_is(flt.state, today))
            if after is not None:
                day, claim_id = after
                stmt = stmt.where(
                    or_(
                        ClaimRow.deadline > day,
                        and_(ClaimRow.deadline == day, ClaimRow.claim_id > claim_id),
                    )
                )
            stmt = stmt.order_by(ClaimRow.deadline, ClaimRow.claim_id).limit(size + 1)
            rows = conn.execute(stmt).all()
            conn.rollback()
        items = tuple(_claim(row) for row in rows[:size])
        more = len(rows) > size and items
        token_out = _make_token(items[-1].deadline, items[-1].claim_id) if more else ""
        return ClaimPage(items, token_out)

    def get(self, tenant: str, claim_id: str) -> Claim:
        self.catch_up()
        with self.engine.connect() as conn:
            claim = self._find(conn, tenant, claim_id)
            conn.rollback()
        return claim

    def _find(self, conn: Connection, tenant: str, claim_id: str) -> Claim:
        row = conn.execute(_CLAIMS.where(ClaimRow.claim_id == claim_id)).one_or_none()
        if row is None:
            raise UnknownResource(f"claim {claim_id[:80]!r}")
        if row.tenant_name != tenant:
            raise NotPermitted(f"claim {claim_id[:80]!r} belongs to another tenant")
        return _claim(row)

    # -- writing -------------------------------------------------------------------------------

    def update(self, tenant: str, claim_id: str, change: ClaimUpdate, *, today: date) -> Claim:
        """Apply ``change`` to the claim (in one transaction: concurrent updates serialize)."""
        self.catch_up()
        with self._writer.begin() as conn:
            if conn.dialect.name == "postgresql":  # lock the row: read-modify-write
                conn.execute(
                    select(ClaimRow.claim_id).where(ClaimRow.claim_id == claim_id).with_for_update()
                )
            claim = change_claim(self._find(conn, tenant, claim_id), change, today)
            conn.execute(
                update(ClaimRow)
                .where(ClaimRow.claim_id == claim_id)
                .values(
                    evidence=json.dumps(dict(claim.evidence), sort_keys=True),
                    state=claim.stored_state.value,
                    filed_on=claim.filed_on,
                    paid_on=claim.paid_on,
                    received_minor=claim.received_minor,
                    rejection_reason=claim.rejection_reason,
                    updated_at=datetime.now(UTC),
                )
            )
        return claim

    def all_of(self, tenant: str, *, today: date) -> Sequence[Claim]:
        """Every claim of ``tenant`` (totals and exports)."""
        out: list[Claim] = []
        token = ""
        while True:
            page = self.page(tenant, ClaimFilter(), today=today, size=1000, token=token)
            out.extend(page.items)
            if not page.next_token:
                return out
            token = page.next_token


def _state_is(state: ClaimState, today: date) -> ColumnElement[bool]:
    """The SQL condition for claims whose state on ``today`` is ``state``."""
    open_states = [s.value for s in ClaimState if s.open]
    if state is ClaimState.EXPIRED:
        return or_(
            ClaimRow.state == ClaimState.EXPIRED.value,
            and_(ClaimRow.state.in_(open_states), ClaimRow.deadline < today),
        )
    if state.open:
        return and_(ClaimRow.state == state.value, ClaimRow.deadline >= today)
    return and_(ClaimRow.state == state.value)


# a claim's columns and its tenant's name
_CLAIMS = select(*ClaimRow.__table__.columns, Tenant.name.label("tenant_name")).join(
    Tenant, Tenant.id == ClaimRow.tenant_id
)


def _claim(row: Row[Any] | Any) -> Claim:
    return Claim(
        claim_id=row.claim_id,
        tenant=row.tenant_name,
        decision_id=row.decision_id,
        rule_id=row.rule_id,
        route=row.route,
        claimant=Claimant(row.claimant),
        export_country=row.export_country,
        currency=row.currency,
        duty_minor=row.duty_minor,
        vat_minor=row.vat_minor,
        deadline=row.deadline,
        export_by=row.export_by,
        required_evidence=tuple(json.loads(row.required_evidence)),
        evidence=json.loads(row.evidence),
        stored_state=ClaimState(row.state),
        filed_on=row.filed_on,
        paid_on=row.paid_on,
        received_minor=row.received_minor,
        rejection_reason=row.rejection_reason,
    )


def _make_token(day: date, claim_id: str) -> str:
    raw = f"{day.isoformat()}|{claim_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_token(token: str) -> tuple[date, str] | None:
    """The (deadline, claim id) a page token continues after; InvalidInput naming page_token."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        day, claim_id = raw.split("|", 1)
        return date.fromisoformat(day), claim_id
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput.one("page_token", "not a token this server issued") from exc
