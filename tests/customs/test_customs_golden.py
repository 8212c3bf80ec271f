"""Golden cases (tests/data/customs_golden.toml): one parametrized test, hand-computed answers."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from customs import (
    Assessment,
    Channel,
    Crossing,
    CustomsEngine,
    CustomsError,
    CustomsItem,
    CustomsNotCovered,
    ImportRecord,
    ReturnReason,
)

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "customs_golden.toml"
CASES: list[dict[str, Any]] = tomllib.loads(GOLDEN.read_text(encoding="utf-8"))["case"]

EU = {
    *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
    *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
}
SPECIAL = (
    *("ES-CN", "ES-CE", "ES-ML", "DE-HGL", "DE-BSG", "IT-LVG", "IT-CMP", "GR-69", "FI-01"),
    *("GB-NIR", "FO", "GL"),
)
# (import regime, first day of a new rule): the goldens assess one crossing on the day before and
# on the day itself, so a wrong date boundary fails a case
CHANGES = (
    ("US", date(2025, 8, 29)),  # de minimis suspended for every country
    ("EU", date(2026, 7, 1)),  # EUR 3 flat duty per item category
    ("TR", date(2026, 2, 6)),  # postal/express allowance removed
    ("MX", date(2025, 8, 15)),  # 33.5% courier global rate for other origins
    ("ZA", date(2024, 9, 1)),  # low-value consignment relief phased out
    ("NO", date(2024, 1, 1)),  # NOK 350 exemption abolished
    ("CH", date(2024, 1, 1)),  # industrial tariffs abolished; VAT 8.1%
    ("BR", date(2025, 4, 1)),  # ICMS on international parcels 20%
)


def _place(crossing: dict[str, Any], side: str) -> str:
    return str(crossing.get(f"{side}_territory") or crossing[f"{side}_country"])


def _regime(crossing: dict[str, Any], side: str) -> str:
    place = _place(crossing, side)
    return "EU" if place in EU else place


def _crossing(spec: dict[str, Any]) -> Crossing:
    fields = dict(spec)
    fields["channel"] = Channel(fields["channel"])
    fields["reason"] = ReturnReason(fields["reason"])
    if "original_import" in fields:
        fields["original_import"] = ImportRecord(**fields["original_import"])
    return Crossing(**fields)


def _items(specs: list[dict[str, Any]]) -> list[CustomsItem]:
    return [
        CustomsItem(
            hs_code=s["hs_code"],
            value_minor=s["value_minor"],
            currency=s["currency"],
            quantity=s.get("quantity", 1),
            weight_g=s.get("weight_g", 500),
            unaltered=s.get("unaltered", True),
        )
        for s in specs
    ]


def _run(engine: CustomsEngine, case: dict[str, Any]) -> Assessment:
    on: date = case["on"]
    return engine.assess(
        _crossing(case["crossing"]), _items(case["items"]), on, currency=case["currency"]
    )


def _check(a: Assessment, case: dict[str, Any]) -> None:
    expect = case["expect"]
    assert (a.border, a.union) == (expect["border"], expect["union"])
    for border in ("customs_border", "vat_border"):  # optional: the two borders apart
        if border in expect:
            assert getattr(a, border) == expect[border], border
    assert (a.duty_due_minor, a.vat_due_minor) == (expect["duty_minor"], expect["vat_minor"])
    assert a.relief == expect["relief"]
    got_reclaims = [
        {
            "rule": r.rule.rule_id,
            "duty_minor": r.duty_minor,
            "vat_minor": r.vat_minor,
            "deadline": r.deadline,
            "claimant": r.claimant.value,
        }
        for r in a.reclaims
    ]
    basics = [{k: v for k, v in e.items() if k in got_reclaims[0]} for e in expect["reclaims"]]
    assert got_reclaims == basics
    for r, e in zip(a.reclaims, expect["reclaims"], strict=True):  # optional expectations
        if "export_by" in e:  # "none": the tables set no export window
            assert r.export_by == (None if e["export_by"] == "none" else e["export_by"])
        if "note_contains" in e:
            assert e["note_contains"] in r.note, r.note
        elif r.duty_minor + r.vat_minor == 0:
            assert r.note.startswith("nothing to recover today"), r.note
    assert sorted(d.code for d in a.documents) == sorted(expect["documents"])
    assert a.confidence.value == expect["confidence"]
    for text in expect.get("notes_contain", []):
        assert any(text in note for note in a.notes), f"{text!r} not in {a.notes}"
    cited_sources = {s for rule in a.rules for s in rule.source_ids}
    assert case["source"] in cited_sources, f"{case['source']} not among {sorted(cited_sources)}"


def test_golden_file_has_enough_cases() -> None:
    """The golden file keeps at least 65 cases with unique names, each citing a source; every
    answered case states border, amounts, relief, reclaims (amounts and deadlines), documents and
    confidence."""
    names = [c["name"] for c in CASES]
    assert len(CASES) >= 65
    assert len(set(names)) == len(names)
    assert all(c.get("source") for c in CASES)
    answer = {"border", "union", "duty_minor", "vat_minor", "relief", "reclaims", "documents"}
    for case in CASES:
        expect = case["expect"]
        if "error" not in expect or "border" in expect:
            assert answer | {"confidence"} <= set(expect), case["name"]


def _covered(predicate: Callable[[dict[str, Any]], bool]) -> bool:
    return any(predicate(c["crossing"]) for c in CASES if "border" in c["expect"])


def _both_ways(a: Callable[[str], bool], b: Callable[[str], bool]) -> bool:
    return _covered(lambda c: a(_place(c, "export")) and b(_place(c, "import"))) and _covered(
        lambda c: b(_place(c, "export")) and a(_place(c, "import"))
    )


def test_golden_cases_cover_the_required_crossings() -> None:
    """The answered goldens cover intra-EU; every special territory (and Northern Ireland against
    both GB and the EU, both ways); GB, CH and NO against the EU and US against CA and MX, both
    ways; imports into AU, NZ, JP, KR, CN, IN and BR; and the day before and the first day of
    each tabled threshold change."""
    assert _covered(
        lambda c: (
            c["export_country"] in EU
            and c["import_country"] in EU
            and c["export_country"] != c["import_country"]
            and not c.get("export_territory")
            and not c.get("import_territory")
        )
    )

    def touches(place: str) -> Callable[[dict[str, Any]], bool]:
        return lambda c: place in (_place(c, "export"), _place(c, "import"))

    for territory in SPECIAL:
        assert _covered(touches(territory)), territory

    def eu(place: str) -> bool:
        return place in EU

    def one(code: str) -> Callable[[str], bool]:
        return lambda place: place == code

    pairs = [(one("GB"), eu), (one("CH"), eu), (one("NO"), eu), (one("US"), one("CA"))]
    pairs += [(one("US"), one("MX")), (one("GB-NIR"), one("GB")), (one("GB-NIR"), eu)]
    for a, b in pairs:
        assert _both_ways(a, b)

    def imports_into(country: str) -> Callable[[dict[str, Any]], bool]:
        return lambda c: c["import_country"] == country

    for country in ("AU", "NZ", "JP", "KR", "CN", "IN", "BR"):
        assert _covered(imports_into(country)), country
    for regime, first_day in CHANGES:
        days = {
            c["on"]
            for c in CASES
            if "border" in c["expect"] and _regime(c["crossing"], "import") == regime
        }
        assert {first_day - timedelta(days=1), first_day} <= days, (regime, first_day)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_case(engine: CustomsEngine, case: dict[str, Any]) -> None:
    """assess() reproduces the hand-computed border, amounts, relief, reclaims, documents and
    confidence of every golden case, and cites the source the case follows. A case whose import
    rules are not tabled raises CustomsNotCovered naming the field, and its partial answer (border,
    reclaims, documents) matches the expectation."""
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(CustomsError) as raised:
            _run(engine, case)
        assert raised.value.field == expect["error"]
        if "border" in expect:
            assert isinstance(raised.value, CustomsNotCovered)
            assert raised.value.partial is not None
            _check(raised.value.partial, case)
        return
    _check(_run(engine, case), case)
