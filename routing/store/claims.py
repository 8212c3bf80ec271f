"""The reclaim ledger's domain: the claims a stored decision opens, and their lifecycle.

A decision whose chosen option can recover duty or VAT (``customs.Reclaim`` on a crossing of
one of its shipments, amount > 0) opens one :class:`Claim` per such route: who files it, how
much in which currency, the filing deadline, the window in which the goods must leave, and the
evidence the filing needs (the route's documents, the carrier's tracking and the invoice).

Lifecycle (``ClaimState``)::

    eligible --(every piece of evidence referenced)--> evidence_complete --file--> filed
    filed --paid (amount received)--> paid          filed --rejected (reason)--> rejected
    eligible / evidence_complete --(deadline passed)--> expired

Expiry is computed from the deadline and the day asked about (:meth:`Claim.state_on`), never
stored by a clock: a claim whose deadline passed reads ``expired`` whatever was written, and
cannot be filed any more. Every other move is :func:`update`, which refuses what the lifecycle
does not allow (:class:`ClaimRefused`, naming the state and what it takes).

The expected cash date needs each route's typical processing time, which the reference fact base
does not give: it stays unknown, said so (``cash_note``), until a sourced time is tabled.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from customs.api import Claimant
from routing.decide.domain import Decision
from routing.errors import FieldViolation, InvalidInput, NoFeasibleOption, PreconditionViolation

__all__ = [
    "Claim",
    "ClaimAction",
    "ClaimRefused",
    "ClaimState",
    "ClaimUpdate",
    "claims_of",
    "update",
]

# what every claim needs beside the route's own documents (documents.toml codes where one exists)
COMMON_EVIDENCE = ("carrier_tracking", "commercial_invoice")
_CASH_UNKNOWN = "no typical processing time for this route in the reference fact base"
MAX_REFERENCE = 500  # characters of one evidence reference
MAX_REASON = 2000


class ClaimState(enum.Enum):
    ELIGIBLE = "eligible"
    EVIDENCE_COMPLETE = "evidence_complete"
    FILED = "filed"
    PAID = "paid"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def open(self) -> bool:
        """Not filed yet: the deadline still matters."""
        return self in (ClaimState.ELIGIBLE, ClaimState.EVIDENCE_COMPLETE)


class ClaimAction(enum.Enum):
    ATTACH_EVIDENCE = "attach_evidence"  # references only
    FILE = "file"
    MARK_PAID = "mark_paid"
    MARK_REJECTED = "mark_rejected"


@dataclass(frozen=True, slots=True)
class Claim:
    """One reclaim route of one stored decision, followed to the cash."""

    claim_id: str
    tenant: str
    decision_id: str
    rule_id: str
    route: str
    claimant: Claimant
    export_country: str  # where the duty/VAT was paid and is claimed back
    currency: str
    duty_minor: int
    vat_minor: int
    deadline: date  # last day to file
    export_by: date | None  # last day the goods may leave (None: no window tabled)
    required_evidence: tuple[str, ...]
    evidence: Mapping[str, str] = field(default_factory=dict)  # kind -> reference
    stored_state: ClaimState = ClaimState.ELIGIBLE
    filed_on: date | None = None
    paid_on: date | None = None
    received_minor: int | None = None
    rejection_reason: str = ""
    expected_cash_date: date | None = None
    cash_note: str = _CASH_UNKNOWN

    @property
    def amount_minor(self) -> int:
        return self.duty_minor + self.vat_minor

    @property
    def missing_evidence(self) -> tuple[str, ...]:
        return tuple(kind for kind in self.required_evidence if not self.evidence.get(kind))

    def state_on(self, today: date) -> ClaimState:
        """The state on ``today``: an open claim past its deadline has expired."""
        if self.stored_state.open and today > self.deadline:
            return ClaimState.EXPIRED
        return self.stored_state


def claims_of(decision: Decision, tenant: str) -> Iterator[Claim]:
    """The claims ``decision`` opens: one per reclaim route with an amount, on every crossing of
    every shipment of the chosen option, numbered in that order."""
    n = 0
    for shipment in decision.chosen.shipments:
        for crossing in shipment.customs:
            for reclaim in crossing.reclaims:
                if reclaim.duty_minor + reclaim.vat_minor <= 0:
                    continue  # listed for information (amount 0): nothing to follow
                n += 1
                required = tuple(dict.fromkeys((*reclaim.documents, *COMMON_EVIDENCE)))
                yield Claim(
                    claim_id=f"{decision.decision_id}-c{n}",
                    tenant=tenant,
                    decision_id=decision.decision_id,
                    rule_id=reclaim.rule.rule_id,
                    route=reclaim.route,
                    claimant=reclaim.claimant,
                    export_country=crossing.export_country,
                    currency=crossing.currency,
                    duty_minor=reclaim.duty_minor,
                    vat_minor=reclaim.vat_minor,
                    deadline=reclaim.deadline,
                    export_by=reclaim.export_by,
                    required_evidence=required,
                )


@dataclass(frozen=True, slots=True)
class ClaimUpdate:
    """What a caller asks of a claim: evidence references to attach (kind -> reference; an
    empty reference removes one), and optionally a move with its facts."""

    evidence: Mapping[str, str] = field(default_factory=dict)
    action: ClaimAction = ClaimAction.ATTACH_EVIDENCE
    on: date | None = None  # the day filed / paid / rejected (default: today)
    received_minor: int | None = None  # MARK_PAID: the amount actually received
    received_currency: str = ""
    reason: str = ""  # MARK_REJECTED


class ClaimRefused(NoFeasibleOption):
    """The lifecycle does not allow this move now (FAILED_PRECONDITION, type CLAIM_STATE)."""

    def __init__(self, claim: Claim, state: ClaimState, why: str) -> None:
        super().__init__(
            [PreconditionViolation("CLAIM_STATE", claim.claim_id, f"{state.value}: {why}")]
        )
        self.args = (f"claim {claim.claim_id} is {state.value}: {why}",)


def update(claim: Claim, change: ClaimUpdate, today: date) -> Claim:
    """``claim`` after ``change`` on ``today``; InvalidInput for a malformed change (naming the
    field), ClaimRefused for a move the lifecycle does not allow."""
    _check(claim, change, today)
    state = claim.state_on(today)
    if state is ClaimState.EXPIRED:
        raise ClaimRefused(claim, state, f"the filing deadline {claim.deadline} has passed")
    evidence = dict(claim.evidence)
    if change.evidence and not state.open:
        raise ClaimRefused(claim, state, "evidence can only change before the claim is filed")
    for kind, reference in change.evidence.items():
        if reference:
            evidence[kind] = reference
        else:
            evidence.pop(kind, None)
    claim = replace(claim, evidence=evidence)
    if state.open:
        complete = not claim.missing_evidence
        state = ClaimState.EVIDENCE_COMPLETE if complete else ClaimState.ELIGIBLE
    on = change.on or today
    match change.action:
        case ClaimAction.ATTACH_EVIDENCE:
            pass
        case ClaimAction.FILE:
            if state is not ClaimState.EVIDENCE_COMPLETE:
                missing = ", ".join(claim.missing_evidence)
                why = f"evidence missing: {missing}" if missing else "already filed"
                raise ClaimRefused(claim, state, f"cannot file: {why}")
            if on > claim.deadline:
                raise ClaimRefused(claim, state, f"filed on {on}, after the deadline")
            state, claim = ClaimState.FILED, replace(claim, filed_on=on)
        case ClaimAction.MARK_PAID:
            if state is not ClaimState.FILED:
                raise ClaimRefused(claim, state, "only a filed claim can be paid")
            claim = replace(claim, paid_on=on, received_minor=change.received_minor)
            state = ClaimState.PAID
        case ClaimAction.MARK_REJECTED:
            if state is not ClaimState.FILED:
                raise ClaimRefused(claim, state, "only a filed claim can be rejected")
            state, claim = ClaimState.REJECTED, replace(claim, rejection_reason=change.reason)
    return replace(claim, stored_state=state)


def _check(claim: Claim, change: ClaimUpdate, today: date) -> None:
    """The change is well-formed whatever the claim's state (InvalidInput naming the field)."""
    problems: list[tuple[str, str]] = []
    for kind, reference in change.evidence.items():
        if kind not in claim.required_evidence:
            wanted = ", ".join(claim.required_evidence)
            problems.append((f"evidence[{kind[:64]}]", f"not evidence this claim needs ({wanted})"))
        elif len(reference) > MAX_REFERENCE:
            problems.append((f"evidence[{kind}]", f"at most {MAX_REFERENCE} characters"))
    if change.on is not None and change.on > today:
        problems.append(("on", f"{change.on} is in the future"))
    moves_a_filed_claim = change.action in (ClaimAction.MARK_PAID, ClaimAction.MARK_REJECTED)
    if moves_a_filed_claim and claim.filed_on and (change.on or today) < claim.filed_on:
        problems.append(("on", f"{change.on} is before the claim was filed ({claim.filed_on})"))
    if change.action is ClaimAction.MARK_PAID:
        if change.received_minor is None or change.received_minor < 0:
            problems.append(("received", "the amount received is required, >= 0"))
        elif change.received_currency != claim.currency:
            problems.append(("received.currency", f"must be the claim's {claim.currency}"))
    if change.action is ClaimAction.MARK_REJECTED and not change.reason.strip():
        problems.append(("reason", "a rejected claim needs the authority's reason"))
    if len(change.reason) > MAX_REASON:
        problems.append(("reason", f"at most {MAX_REASON} characters"))
    if problems:
        raise InvalidInput([FieldViolation(f, why) for f, why in problems])
