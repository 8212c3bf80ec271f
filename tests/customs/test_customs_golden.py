"""Golden cases (tests/data/customs_golden.toml): one parametrized test, hand-computed answers."""

from __future__ import annotations

import tomllib
from datetime import date
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
    ImportRecord,
    ReturnReason,
)

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "customs_golden.toml"
CASES: list[dict[str, Any]] = tomllib.loads(GOLDEN.read_text(encoding="utf-8"))["case"]


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


def test_golden_file_has_enough_cases() -> None:
    """The golden file keeps at least 30 cases with unique names, each citing a source."""
    names = [c["name"] for c in CASES]
    assert len(CASES) >= 30
    assert len(set(names)) == len(names)
    assert all(c.get("source") for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_case(engine: CustomsEngine, case: dict[str, Any]) -> None:
    """assess() reproduces the hand-computed border, amounts, relief, reclaims, documents and
    confidence of every golden case, and cites the source the case follows."""
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(CustomsError) as raised:
            _run(engine, case)
        assert raised.value.field == expect["error"]
        return
    a = _run(engine, case)
    assert (a.border, a.union) == (expect["border"], expect["union"])
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
    assert got_reclaims == expect["reclaims"]
    assert sorted(d.code for d in a.documents) == sorted(expect["documents"])
    assert a.confidence.value == expect["confidence"]
    for text in expect.get("notes_contain", []):
        assert any(text in note for note in a.notes), f"{text!r} not in {a.notes}"
    cited_sources = {s for rule in a.rules for s in rule.source_ids}
    assert case["source"] in cited_sources, f"{case['source']} not among {sorted(cited_sources)}"
