"""The store's own stored forms (routing.store.codec) of a decision and of a plan job's parts:
lossless, versioned, pinned by golden blobs, and the store never reaches for the wire
contract."""

from __future__ import annotations

import ast
import dataclasses
import math
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customs.api import Assessment, Claimant, Confidence, Document, FxConversion, Reclaim, RuleRef
from hubs.model import Disposition, Mode
from routing.decide.domain import (
    CostTerm,
    Decision,
    DestinationKind,
    ItemAllocation,
    Leg,
    LegKind,
    Option,
    Shipment,
    Term,
)
from routing.errors import FieldViolation, PreconditionViolation
from routing.plan.jobs import JOB_ERROR_CODES, JobError, PlanSpec
from routing.plan.planner import Assigned, BatchPlan, FacilityUse, LaneUse, PlanConfig
from routing.solver import Backend
from routing.solver.problem import PlanResult, Progress, Status
from routing.store import codec
from routing.store.codec import (
    FORMAT_V1,
    JOB_ERRORS,
    JOB_PLANS,
    JOB_PROGRESS,
    JOB_SPECS,
    StoredForm,
    StoredFormatError,
    decode_decision,
    encode_decision,
)
from tests.strategies import decisions, identifiers, texts

ROOT = Path(__file__).resolve().parents[3]
GOLDEN_DIR = ROOT / "tests" / "data" / "store"
GOLDEN = GOLDEN_DIR / "decision_format1.bin"  # written by the build of 2026-11
# format 1 with the fields appended in 2026-12 (an assessment's two borders, a reclaim's export
# window and note): what today's build writes
GOLDEN_NOW = GOLDEN_DIR / "decision_format1_2026_12.bin"
# the one module under routing/store that may read the wire contract (legacy rows)
WIRE_ALLOWED = {Path("routing/store/migrations/versions/v0004_decision_codec.py")}


def golden_decision() -> Decision:
    """A decision touching every kind of field: a split chosen option (a hub route with a
    customs assessment citing rules, a reclaim, a document and an FX conversion; a returnless
    shipment), an alternative, optional dates and days both set and unset."""
    rule = RuleRef(
        "EU-UCC-118", "UCC Art. 118", ("EUR-LEX-952-2013",), date(2016, 5, 1), None, Confidence.HIGH
    )
    dated = RuleRef(
        "UK-VAT-35", "VAT Notice 702", (), date(2021, 1, 1), date(2030, 12, 31), Confidence.LOW
    )
    assessment = Assessment(
        export_country="GB",
        import_country="NL",
        border=True,
        union="",
        currency="EUR",
        duty_due_minor=0,
        vat_due_minor=1234,
        relief="returned goods relief (UCC Art. 203)",
        de_minimis="",
        reclaims=(
            Reclaim(
                route="UK rejected imports",
                duty_minor=250,
                vat_minor=1900,
                deadline=date(2027, 2, 1),
                claimant=Claimant.IMPORTER_OF_RECORD,
                conditions=("exported within 3 years",),
                documents=("C&E1179",),
                rule=dated,
            ),
        ),
        documents=(Document("commercial_invoice", "Commercial invoice", "courier export", rule),),
        rules=(rule, dated),
        fx=(FxConversion("GBP", "EUR", "1.17250", date(2026, 11, 20), 10000, 11725, "ECB"),),
        confidence=Confidence.MEDIUM,
        notes=("Ünïcödé note — kept as written",),
    )
    via_hub = Shipment(
        destination_id="hub_nl",
        destination_kind=DestinationKind.HUB,
        destination_country="NL",
        items=(ItemAllocation("SKU-1", 2, Disposition.RESTOCK, 5000),),
        legs=(
            Leg(
                LegKind.PARCEL,
                "dpd_classic",
                "DPD",
                "Classic",
                Mode.ROAD,
                "GB",
                "NL",
                "hub_nl",
                412,
                3,
                1800,
                1450,
            ),
            Leg(
                LegKind.LINEHAUL,
                "nl_de_pallet",
                "Rhenus",
                "Pallet",
                Mode.RAIL,
                "NL",
                "DE",
                "origin_de",
                610,
                2,
                1800,
                90,
            ),
        ),
        terms=(
            CostTerm(Term.PARCEL_CARRIAGE, 1450, "zone 2, 1800 g billable"),
            CostTerm(Term.VAT_RECLAIM, -1900),
            CostTerm(Term.RECOVERY_VALUE, -5000, "restock"),
        ),
        customs=(assessment,),
        days_to_refund=6,
        days_to_resale=11,
        co2e_g=870,
    )
    returnless = Shipment(
        destination_id="",
        destination_kind=DestinationKind.NONE,
        destination_country="GB",
        items=(ItemAllocation("SKU-2", 1, Disposition.RETURNLESS, 0),),
        legs=(),
        terms=(CostTerm(Term.DISPOSITION_COST, 300, "donation"),),
        customs=(),
        days_to_refund=0,
        days_to_resale=None,
        co2e_g=0,
    )
    return Decision(
        decision_id="dec-0001",
        idempotency_key="order-77/return-1",
        currency="EUR",
        chosen=Option((via_hub, returnless), ("SPLIT_CHEAPER",)),
        alternatives=(Option((returnless,)),),
        options_evaluated=14,
        network_name="eu-default",
        return_date=date(2026, 11, 23),
    )


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(decisions())
def test_decision_round_trip(d: Decision) -> None:
    """Every domain Decision survives encode -> decode unchanged, and its blob names format 1."""
    blob = encode_decision(d)
    assert blob[0] == FORMAT_V1
    back = decode_decision(blob)
    assert back == d
    assert back.chosen.net_cost_minor == d.chosen.net_cost_minor  # derived: recomputed


def test_golden_blob_of_format_1() -> None:
    """A blob of format 1 written by an earlier build decodes to the same Decision, and today's
    encoder writes exactly those bytes. When this fails, a domain change altered the stored
    form: give it a new format byte with a decoder of format 1 kept beside it (and a migration
    if rows must be rewritten), then regenerate the golden file."""
    expected = golden_decision()
    assert decode_decision(GOLDEN.read_bytes()) == expected
    assert decode_decision(GOLDEN_NOW.read_bytes()) == expected
    assert encode_decision(expected) == GOLDEN_NOW.read_bytes()


def test_assessments_stored_before_the_border_split_read_as_not_recorded() -> None:
    """The two borders were appended to format 1's assessment: the golden blob (written without
    them) reads them as None, and a decision that has them keeps them through the store."""
    old = decode_decision(GOLDEN.read_bytes())
    crossed = [a for s in old.chosen.shipments for a in s.customs]
    assert crossed
    assert all(a.customs_border is a.vat_border is None for a in crossed)
    shipment = old.chosen.shipments[0]
    canary = dataclasses.replace(
        shipment.customs[0], border=True, customs_border=False, vat_border=True
    )
    split = dataclasses.replace(
        old,
        chosen=dataclasses.replace(
            old.chosen,
            shipments=(dataclasses.replace(shipment, customs=(canary,)), *old.chosen.shipments[1:]),
        ),
    )
    back = decode_decision(encode_decision(split))
    assert (
        back.chosen.shipments[0].customs[0].customs_border,
        back.chosen.shipments[0].customs[0].vat_border,
    ) == (False, True)


def test_layout_matches_the_domain() -> None:
    """Each struct of format 1 has exactly the fields of the dataclass it stores, in
    their order: a field added to the domain (even with a default) cannot be dropped silently
    on writing; it needs the layout changed (a new format)."""
    pairs = [
        (codec.DecisionV1, Decision),
        (codec.OptionV1, Option),
        (codec.ShipmentV1, Shipment),
        (codec.ItemAllocationV1, ItemAllocation),
        (codec.LegV1, Leg),
        (codec.CostTermV1, CostTerm),
        (codec.AssessmentV1, Assessment),
        (codec.ReclaimV1, Reclaim),
        (codec.DocumentV1, Document),
        (codec.RuleRefV1, RuleRef),
        (codec.FxConversionV1, FxConversion),
        (codec.PlanSpecV1, PlanSpec),
        (codec.PlanConfigV1, PlanConfig),
        (codec.ProgressV1, Progress),
        (codec.JobErrorV1, JobError),
        (codec.PreconditionViolationV1, PreconditionViolation),
        (codec.FieldViolationV1, FieldViolation),
        (codec.BatchPlanV1, BatchPlan),
        (codec.PlanResultV1, PlanResult),
        (codec.AssignedV1, Assigned),
        (codec.FacilityUseV1, FacilityUse),
        (codec.LaneUseV1, LaneUse),
    ]
    for layout, domain in pairs:
        fields = tuple(f.name for f in dataclasses.fields(domain))
        assert layout.__struct_fields__ == fields, f"{domain.__name__} vs {layout.__name__}"


def test_derived_totals_are_recomputed_not_trusted() -> None:
    """The net costs written in a blob are not read back: the domain recomputes them."""
    d = golden_decision()
    raw = msgspec.msgpack.decode(encode_decision(d)[1:])  # format 1: arrays
    chosen = raw[3]
    chosen[-1] = 1  # Option.net_cost_minor
    chosen[0][0][-1] = 1  # its first Shipment's
    back = decode_decision(bytes((FORMAT_V1,)) + msgspec.msgpack.encode(raw))
    assert back.chosen.net_cost_minor == d.chosen.net_cost_minor
    assert back.chosen.shipments[0].net_cost_minor == d.chosen.shipments[0].net_cost_minor


@pytest.mark.parametrize("version", [0, 2, 255])
def test_unknown_format_is_refused(version: int) -> None:
    """A blob of a format this build does not know is refused with an error naming that
    format, the one this build reads, and what to do; it is never guessed at."""
    blob = bytes((version,)) + encode_decision(golden_decision())[1:]
    with pytest.raises(StoredFormatError) as err:
        decode_decision(blob)
    message = str(err.value)
    assert f"unknown format {version}" in message
    assert "reads format 1" in message
    assert "reroute db upgrade" in message


def test_legacy_wire_bytes_are_refused_with_a_hint() -> None:
    """A row left in the legacy wire form (first byte 0x0A) says the migration rewrites it."""
    with pytest.raises(StoredFormatError, match=r"legacy reroute\.v1 .* migration 0004"):
        decode_decision(b"\x0a\x08dec-0001")


@pytest.mark.parametrize(
    ("blob", "words"),
    [
        (b"", "empty"),
        (bytes((FORMAT_V1,)), "cannot be read"),
        (bytes((FORMAT_V1,)) + msgspec.msgpack.encode(["dec-1", 7]), "cannot be read"),
        (encode_decision(golden_decision())[:-5], "cannot be read"),
    ],
)
def test_damaged_blobs_are_refused(blob: bytes, words: str) -> None:
    """Empty, truncated or mistyped blobs raise StoredFormatError, not a decoder internal."""
    with pytest.raises(StoredFormatError, match=words):
        decode_decision(blob)


def test_the_store_never_imports_the_wire() -> None:
    """Nothing under routing/store imports reroute.v1 or routing.rpc, but migration 0004,
    which reads and writes the legacy wire rows."""
    offenders = []
    for path in sorted((ROOT / "routing" / "store").rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel in WIRE_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{rel}: {n}"
                for n in names
                if n == "reroute" or n.startswith(("reroute.", "routing.rpc"))
            ]
    assert offenders == []
    assert codec.DECISIONS.kind == "decision"


# -- plan jobs ------------------------------------------------------------------------------


def golden_plan() -> BatchPlan:
    """A small finished plan: every part of a BatchPlan set."""
    result = PlanResult(
        Status.FEASIBLE,
        objective=1200,
        bound=1100,
        wall_time_s=0.25,
        assignment=(((0, 2),), ((1, 1),)),
        dispatches=(1,),
        opened=(0,),
        backend="highs",
        message="time limit",
    )
    return BatchPlan(
        result=result,
        currency="EUR",
        returns=4,
        units=3,
        classes=2,
        assignments=(
            Assigned("r1", "hub_nl>origin_de/restock/dpd", "hub_nl", "nl_de_pallet", 500, 1),
            Assigned("r2", "returnless", "", "", 300, 2),
        ),
        facilities=(FacilityUse("hub_nl", 1, 40),),
        lanes=(LaneUse("nl_de_pallet", 1, 1, 600, 400),),
        overflow_units=0,
        unroutable=(("r4", "no carrier serves IS"),),
    )


def golden_jobs() -> dict[str, tuple[StoredForm[Any], object]]:
    """Per plan_jobs column, its form and a value of it."""
    return {
        "spec": (JOB_SPECS, PlanSpec(PlanConfig(3, 12.5, True, 900), Backend.CPSAT)),
        "progress": (JOB_PROGRESS, Progress(1200, None, math.inf, 0.25, "highs")),
        "error": (
            JOB_ERRORS,
            JobError(
                "FAILED_PRECONDITION",
                "no feasible plan",
                (PreconditionViolation("OVER_CAPACITY", "facility:hub_nl", "40 units"),),
                (FieldViolation("returns[3].items[0].hs_code", "must be 6 to 10 digits"),),
            ),
        ),
        "plan": (JOB_PLANS, golden_plan()),
    }


progress = st.builds(
    Progress,
    incumbent=st.none() | st.integers(0, 2**62),
    bound=st.none() | st.integers(0, 2**62),
    gap=st.floats(min_value=0, allow_nan=False),
    elapsed_s=st.floats(min_value=0, max_value=1e6),
    backend=identifiers(),
)
job_errors = st.builds(
    JobError,
    code=st.sampled_from(JOB_ERROR_CODES),
    message=texts(),
    preconditions=st.lists(
        st.builds(PreconditionViolation, type=identifiers(), subject=texts(), description=texts()),
        max_size=2,
    ).map(tuple),
    fields=st.lists(st.builds(FieldViolation, field=texts(), description=texts()), max_size=2).map(
        tuple
    ),
)
plan_specs = st.builds(
    PlanSpec,
    config=st.builds(
        PlanConfig,
        horizon_days=st.integers(1, 366),
        time_limit_s=st.floats(min_value=0.001, max_value=1e5),
        allow_overflow=st.booleans(),
        overflow_price_minor=st.integers(0, 10**12),
    ),
    backend=st.sampled_from(Backend),
)


@given(progress, job_errors, plan_specs)
def test_job_parts_round_trip(p: Progress, e: JobError, spec: PlanSpec) -> None:
    """A job's progress (an infinite gap included), error and spec survive their stored forms."""
    assert JOB_PROGRESS.decode(JOB_PROGRESS.encode(p)) == p
    assert JOB_ERRORS.decode(JOB_ERRORS.encode(e)) == e
    assert JOB_SPECS.decode(JOB_SPECS.encode(spec)) == spec


@pytest.mark.parametrize("column", ["spec", "progress", "error", "plan"])
def test_golden_job_blobs_of_format_1(column: str) -> None:
    """Each plan_jobs column's golden blob of format 1 decodes to the same object, and today's
    encoder writes exactly those bytes (a failure: see test_golden_blob_of_format_1)."""
    form, value = golden_jobs()[column]
    golden = (GOLDEN_DIR / f"job_{column}_format1.bin").read_bytes()
    assert form.decode(golden) == value
    assert form.encode(value) == golden


def test_a_stored_plan_is_revalidated() -> None:
    """A plan whose blob breaks its own invariants (bound above the objective) is refused as a
    StoredFormatError naming the problem, not loaded."""
    raw = msgspec.msgpack.decode(JOB_PLANS.encode(golden_plan())[1:])
    raw[0][2] = 5000  # result.bound
    with pytest.raises(StoredFormatError, match="bound 5000 exceeds objective 1200"):
        JOB_PLANS.decode(bytes((FORMAT_V1,)) + msgspec.msgpack.encode(raw))


def test_legacy_job_pickles_are_refused_with_a_hint() -> None:
    """A job blob still pickled (first byte 0x80) says migration 0005 rewrites it."""
    with pytest.raises(StoredFormatError, match="legacy pickle, which migration 0005"):
        JOB_SPECS.decode(pickle.dumps(PlanSpec(PlanConfig())))
