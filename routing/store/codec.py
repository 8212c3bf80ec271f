"""The stored forms of what the store keeps: our own, versioned, never the wire message.

A stored decision is one **format byte**, then the ``routing.decide.domain.Decision`` as
MessagePack, written and read by msgspec. Format 1 (``FORMAT_V1``) is the layout of the
``*V1`` structs below: each object an array of its fields in the order declared there
(no field names: a decision takes about as many bytes as the wire message did, and SQLite's
insert cost grows with the row), enums their values (``"local_3pl"``, ``"parcel_carriage"``,
``"high"``), dates ISO 8601 strings, ``None`` nil. The derived ``net_cost_minor`` of Shipment
and Option is written, and recomputed on reading. msgspec converts a Decision to those structs
and back (``from_attributes``), decodes with type checks, and the domain dataclasses'
``__post_init__`` run as usual.

So the stored form is ours, not the public proto: the wire contract can change without
touching the database. A domain change the structs no longer match fails loudly (a missing
attribute, a wrong type), and ``tests/routing/store/test_codec.py`` pins format 1 with golden
blobs. Changing the layout takes a new format byte, a decoder of the old one kept beside it,
and a migration when old rows must be rewritten; a field appended with a default is read from
older blobs as that default, and ``StoredForm.encode`` leaves trailing fields at their
defaults out, so an object that has none of them is written byte for byte as before. The
decision's appended fields (issue 12): the options ``excluded``, the ``network_version`` and
``rules_version`` it was made with, and its canonical ``request`` (a ``Return``, written as
msgspec writes a dataclass: a map by field name, so a field the request gains later with a
default reads from older blobs as that default), which ``ExplainDecision`` replays.

A plan job's parts are stored the same way, one blob per column of ``plan_jobs``, format 1 the
layout of their ``*V1`` structs: ``spec`` a ``routing.plan.jobs.PlanSpec``, ``progress`` a
``routing.solver.problem.Progress``, ``error`` a ``routing.plan.jobs.JobError``, ``plan`` a
``routing.plan.planner.BatchPlan`` (its derived ``PlanResult.gap`` written and recomputed),
``batch`` (from migration 0006) a ``routing.plan.jobs.PlanBatch``: the returns waiting to be
planned, each ``routing.decide.domain.Return`` laid out as ``ReturnV1``.
Until migration 0005 they were pickles.

A blob of another format is refused with :class:`StoredFormatError` (which format, what this
build reads, what to do: a legacy wire message or pickle names the migration that rewrites it);
so is a blob of the right format that does not decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final, Generic, TypeVar

import msgspec

from customs.api import Claimant, Confidence, ReturnReason
from hubs.model import ConditionGrade, Disposition, Mode
from routing.decide.domain import Decision, DestinationKind, LegKind, Return, Term
from routing.errors import ConfigurationError
from routing.plan.jobs import JobError, PlanBatch, PlanSpec
from routing.plan.planner import BatchPlan
from routing.solver import Backend
from routing.solver.problem import Progress, Status

__all__ = [
    "DECISIONS",
    "FORMAT_V1",
    "JOB_BATCHES",
    "JOB_ERRORS",
    "JOB_PLANS",
    "JOB_PROGRESS",
    "JOB_SPECS",
    "StoredForm",
    "StoredFormatError",
    "decode_decision",
    "encode_decision",
]

T = TypeVar("T")

FORMAT_V1: Final = 1
_MIGRATE = "run reroute db upgrade"
# first bytes of the legacy forms, which the migrations rewrote
_WIRE_HINT: Final = {
    # field 1 of a reroute.v1.RouteDecision (decision_id, length-delimited) is tagged 0x0A
    0x0A: "it looks like a legacy reroute.v1 wire message, which migration 0004 rewrites:"
    f" {_MIGRATE}"
}
_PICKLE_HINT: Final = {
    0x80: f"it looks like a legacy pickle, which migration 0005 rewrites: {_MIGRATE}"
}


class StoredFormatError(ConfigurationError):
    """A stored blob this build cannot read: written by a newer server, left in a database not
    migrated, or damaged. The message names what was stored, which format, and what to do."""


class StoredForm(Generic[T]):
    """One kind of stored object (``kind`` names it in errors), of type ``type_``, laid out as
    the ``layout`` structs: ``encode`` converts it to them and prefixes the format byte,
    ``decode`` checks that byte, decodes the structs and converts them back. ``legacy`` maps
    the first byte of a form from before this one to what to say about it."""

    def __init__(
        self,
        kind: str,
        type_: type[T],
        layout: type[msgspec.Struct],
        *,
        version: int = FORMAT_V1,
        legacy: Mapping[int, str] | None = None,
    ) -> None:
        if not 0 < version < 256:
            raise ValueError(f"a format is one byte (1-255), got {version}")
        self.kind = kind
        self.version = version
        self._type = type_
        self._layout = layout
        self._legacy = dict(legacy or {})
        self._header = bytes((version,))
        self._defaults: tuple[object, ...] = layout.__struct_defaults__
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(layout)

    def encode(self, obj: T) -> bytes:
        laid_out = msgspec.convert(obj, self._layout, from_attributes=True)
        if self._defaults:  # trailing fields at their defaults are left out (read back as such)
            values = msgspec.structs.astuple(laid_out)
            n, first = len(values), len(values) - len(self._defaults)
            while n > first and values[n - 1] == self._defaults[n - 1 - first]:
                n -= 1
            return self._header + self._encoder.encode(values[:n])
        return self._header + self._encoder.encode(laid_out)

    def decode(self, blob: bytes) -> T:
        if not blob:
            raise StoredFormatError(f"stored {self.kind}: empty (no format byte)")
        version = blob[0]
        if version != self.version:
            raise StoredFormatError(self._unknown(version))
        try:
            laid_out = self._decoder.decode(memoryview(blob)[1:])
            return msgspec.convert(laid_out, self._type, from_attributes=True)
        except msgspec.DecodeError as exc:  # ValidationError, __post_init__'s ValueError included
            raise StoredFormatError(
                f"stored {self.kind} (format {version}) cannot be read: {exc}"
            ) from exc

    def is_stored_form(self, blob: bytes) -> bool:
        """Whether ``blob`` is in this form's format (by its first byte)."""
        return blob[:1] == self._header

    def _unknown(self, version: int) -> str:
        hint = self._legacy.get(
            version,
            "a newer server wrote it (upgrade this one), or the database was not migrated"
            f" ({_MIGRATE})",
        )
        return (
            f"stored {self.kind}: unknown format {version} (0x{version:02x});"
            f" this build reads format {self.version}: {hint}"
        )


# -- format 1 of a decision: one array per object, its fields in this order ------------------
# (gc=False: the structs hold no cycles, so the cyclic GC need not track them)


class RuleRefV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    rule_id: str
    legal_basis: str
    source_ids: tuple[str, ...]
    effective_from: date
    effective_to: date | None
    confidence: Confidence


class FxConversionV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    from_currency: str
    to_currency: str
    rate: str
    rate_date: date
    amount_from_minor: int
    amount_to_minor: int
    source_id: str


class ReclaimV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    route: str
    duty_minor: int
    vat_minor: int
    deadline: date
    claimant: Claimant
    conditions: tuple[str, ...]
    documents: tuple[str, ...]
    rule: RuleRefV1
    # appended (format 1 still; older blobs read the defaults)
    export_by: date | None = None
    note: str = ""


class DocumentV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    code: str
    name: str
    reason: str
    rule: RuleRefV1


class AssessmentV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    export_country: str
    import_country: str
    border: bool
    union: str
    currency: str
    duty_due_minor: int
    vat_due_minor: int
    relief: str
    de_minimis: str
    reclaims: tuple[ReclaimV1, ...]
    documents: tuple[DocumentV1, ...]
    rules: tuple[RuleRefV1, ...]
    fx: tuple[FxConversionV1, ...]
    confidence: Confidence
    notes: tuple[str, ...]
    # appended (format 1 still): absent from blobs written before the two borders were split,
    # read as None ("not recorded"); a build from before ignores them (msgspec skips trailing
    # array elements a struct does not declare)
    customs_border: bool | None = None
    vat_border: bool | None = None


class CostTermV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    term: Term
    amount_minor: int
    detail: str


class LegV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    kind: LegKind
    service_id: str
    carrier: str
    service_name: str
    mode: Mode
    from_country: str
    to_country: str
    to_facility: str
    distance_km: int
    transit_days: int
    billable_weight_g: int
    charge_minor: int


class ItemAllocationV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    sku: str
    quantity: int
    disposition: Disposition
    recovery_minor: int


class ShipmentV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    destination_id: str
    destination_kind: DestinationKind
    destination_country: str
    items: tuple[ItemAllocationV1, ...]
    legs: tuple[LegV1, ...]
    terms: tuple[CostTermV1, ...]
    customs: tuple[AssessmentV1, ...]
    days_to_refund: int
    days_to_resale: int | None
    co2e_g: int
    net_cost_minor: int  # derived: recomputed on reading


class OptionV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    shipments: tuple[ShipmentV1, ...]
    reason_codes: tuple[str, ...]
    net_cost_minor: int  # derived: recomputed on reading


class ExclusionV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    option: str
    reason: str
    subject: str
    description: str


class DecisionV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    decision_id: str
    idempotency_key: str
    currency: str
    chosen: OptionV1
    alternatives: tuple[OptionV1, ...]
    options_evaluated: int
    network_name: str
    return_date: date
    # appended with defaults (issue 12): a blob written before them reads as the defaults,
    # and a decision that has none of them is written as before, byte for byte
    # (``StoredForm.encode`` leaves trailing defaults out of the array)
    excluded: tuple[ExclusionV1, ...] = ()
    network_version: str = ""
    rules_version: str = ""
    # the canonical request, as msgspec writes a dataclass: a map by field name, so a field
    # the request gains later (with a default) is read from older blobs as that default
    request: Return | None = None


DECISIONS: Final = StoredForm("decision", Decision, DecisionV1, legacy=_WIRE_HINT)
# -- format 1 of a plan job's parts (the plan_jobs columns spec, progress, error, plan) ------


class PlanConfigV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    horizon_days: int
    time_limit_s: float
    allow_overflow: bool
    overflow_price_minor: int


class PlanSpecV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    config: PlanConfigV1
    backend: Backend


class ProgressV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    incumbent: int | None
    bound: int | None
    gap: float  # inf without both
    elapsed_s: float
    backend: str


class PreconditionViolationV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    type: str
    subject: str
    description: str


class FieldViolationV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    field: str
    description: str


class JobErrorV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    code: str
    message: str
    preconditions: tuple[PreconditionViolationV1, ...]
    fields: tuple[FieldViolationV1, ...]


class PlanResultV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    status: Status
    objective: int | None
    bound: int | None
    wall_time_s: float
    assignment: tuple[tuple[tuple[int, int], ...], ...] | None
    dispatches: tuple[int, ...]
    opened: tuple[int, ...]
    backend: str
    message: str
    gap: float  # derived: recomputed on reading


class AssignedV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    return_id: str
    option: str
    facility_id: str
    lane_id: str
    cost_minor: int
    units: int


class FacilityUseV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    facility_id: str
    load_units: int
    capacity_units: int


class LaneUseV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    lane_id: str
    load_units: int
    dispatches: int
    capacity_units_per_dispatch: int
    fixed_cost_minor: int


class BatchPlanV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    result: PlanResultV1
    currency: str
    returns: int
    units: int
    classes: int
    assignments: tuple[AssignedV1, ...]
    facilities: tuple[FacilityUseV1, ...]
    lanes: tuple[LaneUseV1, ...]
    overflow_units: int
    unroutable: tuple[tuple[str, str], ...]


# -- format 1 of a queued batch (the plan_jobs column batch, migration 0006) ------------------


class ItemV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    sku: str
    hs_code: str
    value_minor: int
    currency: str
    weight_g: int
    dims_mm: tuple[int, int, int]
    quantity: int
    grade: ConditionGrade
    reason: ReturnReason


class ConstraintsV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    max_days_to_refund: int | None
    allow_returnless: bool
    allow_split: bool
    max_alternatives: int


class ReturnV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    items: tuple[ItemV1, ...]
    customer_country: str
    customer_postal_code: str
    origin_facility_id: str
    import_date: date
    duty_paid_minor: int
    vat_paid_minor: int
    paid_currency: str
    return_date: date
    idempotency_key: str
    vat_collected_at_checkout: bool
    customer_territory: str
    constraints: ConstraintsV1


class PlanBatchV1(msgspec.Struct, array_like=True, frozen=True, gc=False):
    returns: tuple[tuple[str, ReturnV1], ...]


JOB_BATCHES: Final = StoredForm("plan job batch", PlanBatch, PlanBatchV1)
JOB_SPECS: Final = StoredForm("plan job spec", PlanSpec, PlanSpecV1, legacy=_PICKLE_HINT)
JOB_PROGRESS: Final = StoredForm("plan job progress", Progress, ProgressV1, legacy=_PICKLE_HINT)
JOB_ERRORS: Final = StoredForm("plan job error", JobError, JobErrorV1, legacy=_PICKLE_HINT)
JOB_PLANS: Final = StoredForm("plan job plan", BatchPlan, BatchPlanV1, legacy=_PICKLE_HINT)


def encode_decision(decision: Decision) -> bytes:
    """The stored form of ``decision`` (format byte + MessagePack)."""
    return DECISIONS.encode(decision)


def decode_decision(blob: bytes) -> Decision:
    """The Decision stored as ``blob``; StoredFormatError when it cannot be read."""
    return DECISIONS.decode(blob)
