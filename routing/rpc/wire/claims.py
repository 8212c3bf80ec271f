"""Wire conversion of the reclaim ledger (reroute.v1 claims.proto): requests validated into
the ledger's terms (every violation names its field), claims written back."""

from __future__ import annotations

from datetime import date
from typing import Final

from reroute.v1 import claims_pb2
from routing.decide.domain import Violations, check_country
from routing.rpc.wire.enums import CLAIMANTS, EnumMap
from routing.rpc.wire.scalars import date_to_proto, money_to_proto, parse_date, parse_money
from routing.store.claims import (
    MAX_REASON,
    MAX_REFERENCE,
    Claim,
    ClaimAction,
    ClaimState,
    ClaimUpdate,
)
from routing.store.ledger import ClaimFilter

__all__ = ["CLAIM_STATES", "claim_to_proto", "filter_from_proto", "update_from_proto"]

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 500
MAX_EVIDENCE = 20  # evidence entries in one update
MAX_ID = 80  # characters of a claim id

CLAIM_STATES: Final = EnumMap(
    ClaimState,
    "ClaimState",
    claims_pb2.ClaimState.values(),
    {
        ClaimState.ELIGIBLE: claims_pb2.CLAIM_STATE_ELIGIBLE,
        ClaimState.EVIDENCE_COMPLETE: claims_pb2.CLAIM_STATE_EVIDENCE_COMPLETE,
        ClaimState.FILED: claims_pb2.CLAIM_STATE_FILED,
        ClaimState.PAID: claims_pb2.CLAIM_STATE_PAID,
        ClaimState.REJECTED: claims_pb2.CLAIM_STATE_REJECTED,
        ClaimState.EXPIRED: claims_pb2.CLAIM_STATE_EXPIRED,
    },
)
CLAIM_ACTIONS: Final = EnumMap(
    ClaimAction,
    "ClaimAction",
    claims_pb2.ClaimAction.values(),
    {
        ClaimAction.ATTACH_EVIDENCE: claims_pb2.CLAIM_ACTION_ATTACH_EVIDENCE,
        ClaimAction.FILE: claims_pb2.CLAIM_ACTION_FILE,
        ClaimAction.MARK_PAID: claims_pb2.CLAIM_ACTION_MARK_PAID,
        ClaimAction.MARK_REJECTED: claims_pb2.CLAIM_ACTION_MARK_REJECTED,
    },
)


def claim_to_proto(c: Claim, today: date) -> claims_pb2.Claim:
    msg = claims_pb2.Claim(
        claim_id=c.claim_id,
        decision_id=c.decision_id,
        route=c.route,
        rule_id=c.rule_id,
        claimant=CLAIMANTS.to_proto(c.claimant),
        export_country=c.export_country,
        amount=money_to_proto(c.amount_minor, c.currency),
        duty_minor=c.duty_minor,
        vat_minor=c.vat_minor,
        deadline=date_to_proto(c.deadline),
        evidence=[
            claims_pb2.Evidence(kind=kind, reference=c.evidence.get(kind, ""))
            for kind in c.required_evidence
        ],
        state=CLAIM_STATES.to_proto(c.state_on(today)),
        expected_cash_note="" if c.expected_cash_date else c.cash_note,
        rejection_reason=c.rejection_reason,
    )
    for name, day in (
        ("export_by", c.export_by),
        ("expected_cash_date", c.expected_cash_date),
        ("filed_on", c.filed_on),
        ("paid_on", c.paid_on),
    ):
        if day is not None:
            getattr(msg, name).CopyFrom(date_to_proto(day))
    if c.received_minor is not None:
        msg.received.CopyFrom(money_to_proto(c.received_minor, c.currency))
    return msg


def check_claim_id(claim_id: str) -> None:
    v = Violations()
    if not claim_id or len(claim_id) > MAX_ID or not claim_id.isprintable():
        v.add("claim_id", f"must be a claim id (1-{MAX_ID} printable characters)")
    v.raise_if_any()


def filter_from_proto(req: claims_pb2.ListClaimsRequest) -> tuple[ClaimFilter, int]:
    """The filter and page size a ListClaimsRequest asks for (page_token is the ledger's)."""
    v = Violations()
    state = None if req.state == 0 else CLAIM_STATES.parse(v, "state", req.state)
    if req.export_country:
        check_country(v, "export_country", req.export_country)
    if len(req.rule_id) > 200:
        v.add("rule_id", "at most 200 characters")
    before = (
        parse_date(v, "deadline_before", req.deadline_before)
        if req.HasField("deadline_before")
        else None
    )
    if req.page_size < 0:
        v.add("page_size", f"must not be negative, got {req.page_size}")
    if len(req.page_token) > 400:
        v.add("page_token", "not a token this server issued")
    v.raise_if_any()
    size = min(req.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return ClaimFilter(state, req.rule_id, req.export_country, before), size


def update_from_proto(req: claims_pb2.UpdateClaimRequest) -> ClaimUpdate:
    v = Violations()
    if not req.claim_id or len(req.claim_id) > MAX_ID:
        v.add("claim_id", f"must be a claim id (1-{MAX_ID} characters)")
    action = CLAIM_ACTIONS.parse(v, "action", req.action)
    if len(req.evidence) > MAX_EVIDENCE:
        v.add("evidence", f"at most {MAX_EVIDENCE} entries, got {len(req.evidence)}")
    evidence: dict[str, str] = {}
    for i, e in enumerate(req.evidence[:MAX_EVIDENCE]):
        if not e.kind or len(e.kind) > 64:
            v.add(f"evidence[{i}].kind", "must name the evidence (1-64 characters)")
        elif e.kind in evidence:
            v.add(f"evidence[{i}].kind", f"{e.kind!r} given twice")
        if len(e.reference) > MAX_REFERENCE:
            v.add(f"evidence[{i}].reference", f"at most {MAX_REFERENCE} characters")
        evidence[e.kind] = e.reference
    on = parse_date(v, "on", req.on) if req.HasField("on") else None
    received = None
    if action is ClaimAction.MARK_PAID:
        received = parse_money(v, "received", req, "received", lo=0)
    elif req.HasField("received"):
        v.add("received", "only with CLAIM_ACTION_MARK_PAID")
    if len(req.reason) > MAX_REASON:
        v.add("reason", f"at most {MAX_REASON} characters")
    v.raise_if_any()
    assert action is not None
    return ClaimUpdate(
        evidence=evidence,
        action=action,
        on=on,
        received_minor=None if received is None else received[0],
        received_currency="" if received is None else received[1],
        reason=req.reason,
    )
