"""The store's own stored form of a decision (routing.store.codec): lossless, versioned, pinned
by a golden blob, and the store never reaches for the wire contract."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

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
from routing.store import codec
from routing.store.codec import FORMAT_V1, StoredFormatError, decode_decision, encode_decision
from tests.strategies import decisions

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "data" / "store" / "decision_format1.bin"
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
    assert encode_decision(expected) == GOLDEN.read_bytes()


def test_derived_totals_are_recomputed_not_trusted() -> None:
    """The net costs written in a blob are not read back: the domain recomputes them."""
    d = golden_decision()
    raw = msgspec.msgpack.decode(encode_decision(d)[1:])
    raw["chosen"]["net_cost_minor"] = 1
    raw["chosen"]["shipments"][0]["net_cost_minor"] = 1
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
        (bytes((FORMAT_V1,)) + msgspec.msgpack.encode({"decision_id": 7}), "cannot be read"),
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
