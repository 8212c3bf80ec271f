"""Golden decisions an expert would sign (issue 12 item 8): tests/data/golden_decisions.toml.

Each case is routed on the embedded default network with the real customs engine and FX table,
and its chosen option is judged as the case's expert wrote it down: destination kinds and
dispositions allowed, bounds on the net cost and on named terms, the refund SLA, the first
leg's service kind, and the reclaim every option leaving the customs area credits. A case
with ``needs`` waits for another item of issue 12: while today's engine fails it, it is
skipped with the reason (never asserted wrong); once the engine passes it, it is asserted.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import customs
from customs.api import ReturnReason
from hubs import default_network
from hubs.model import ConditionGrade, RefundTrigger, ServiceKind
from routing.decide.domain import Constraints, Decision, Item, MerchantPolicy, Option, Return, Term
from routing.decide.router import Router
from routing.errors import NoFeasibleOption

GOLDEN = Path(__file__).resolve().parents[2] / "data" / "golden_decisions.toml"
DAY = date(2026, 11, 2)
NEEDS = {
    "parcels": "issue 12 item 2 (multi-unit packing into parcels)",
    "disposal": "issue 12 item 3 (local disposal, keep-it and the loss guard)",
    "refund_trigger": "issue 12 item 5 (refund trigger as merchant policy)",
}
_CASE_KEYS = {
    "id",
    "reasoning",
    "country",
    "postal_code",
    "territory",
    "origin",
    "import",
    "items",
    "constraints",
    "return_date",
    "expect",
    "policy",  # MerchantPolicy: { refund_trigger = "first_scan" | "receipt" | "graded" }
}
_EXPECT_KEYS = {
    "kinds",
    "dispositions",
    "net_cost_max",
    "net_cost_min",
    "terms",
    "max_refund_days",
    "service_kinds",
    "exit_reclaim",
    "no_reclaim_inside",
    "needs",
}


@cache
def router() -> Router:
    return Router(
        default_network(), customs.default_engine(), customs.default_fx(), compiled_on=DAY
    )


@cache
def cases() -> tuple[dict[str, Any], ...]:
    with GOLDEN.open("rb") as f:
        data = tomllib.load(f)
    return tuple(data["case"])


def _return(c: dict[str, Any]) -> Return:
    imp = c["import"]
    k = c.get("constraints", {})
    items = tuple(
        Item(
            sku=i["sku"],
            hs_code=i["hs"],
            value_minor=i["value"],
            currency=i["currency"],
            weight_g=i["weight_g"],
            dims_mm=tuple(i["dims_mm"]),
            quantity=i.get("quantity", 1),
            grade=ConditionGrade(i["grade"]),
            reason=ReturnReason(i["reason"]),
        )
        for i in c["items"]
    )
    return Return(
        items=items,
        customer_country=c["country"],
        customer_postal_code=c["postal_code"],
        origin_facility_id=c["origin"],
        import_date=imp["date"],
        duty_paid_minor=imp.get("duty", 0),
        vat_paid_minor=imp.get("vat", 0),
        paid_currency=imp["currency"],
        return_date=c.get("return_date", DAY),
        vat_collected_at_checkout=imp.get("at_checkout", False),
        customer_territory=c.get("territory", ""),
        constraints=Constraints(
            max_days_to_refund=k.get("max_days_to_refund"),
            allow_returnless=k.get("allow_returnless", True),
            allow_split=k.get("allow_split", True),
            max_alternatives=50,
        ),
        policy=MerchantPolicy(
            refund_trigger=RefundTrigger(c["policy"]["refund_trigger"])
            if "refund_trigger" in c.get("policy", {})
            else None
        ),
    )


@dataclass
class Verdict:
    problems: list[str]

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.problems.append(what)


def _area(country: str, territory: str = "") -> str:
    return customs.default_engine().customs_area(country, territory, DAY)


def _leaves(c: dict[str, Any], o: Option) -> bool:
    home = _area(c["country"], c.get("territory", ""))
    return any(_area(leg.to_country) != home for s in o.shipments for leg in s.legs)


def _reclaimed(o: Option) -> int:
    t = o.totals()
    return -(t.get(Term.DUTY_RECLAIM, 0) + t.get(Term.VAT_RECLAIM, 0))


def judge(c: dict[str, Any], d: Decision) -> list[str]:
    """What the expert of case ``c`` would object to in decision ``d`` (empty: signed)."""
    e = c["expect"]
    v = Verdict([])
    o = d.chosen
    kinds = {s.destination_kind.value for s in o.shipments}
    v.check(kinds <= set(e["kinds"]), f"destination kinds {sorted(kinds)} not in {e['kinds']}")
    dispositions = {a.disposition.value for s in o.shipments for a in s.items}
    v.check(
        dispositions <= set(e["dispositions"]),
        f"dispositions {sorted(dispositions)} not in {e['dispositions']}",
    )
    if "net_cost_max" in e:
        v.check(o.net_cost_minor <= e["net_cost_max"], f"net cost {o.net_cost_minor} > max")
    if "net_cost_min" in e:
        v.check(o.net_cost_minor >= e["net_cost_min"], f"net cost {o.net_cost_minor} < min")
    totals = o.totals()
    for name, (lo, hi) in e.get("terms", {}).items():
        got = totals.get(Term(name), 0)
        v.check(lo <= got <= hi, f"term {name} = {got} outside [{lo}, {hi}]")
    if "max_refund_days" in e:
        v.check(o.days_to_refund <= e["max_refund_days"], f"{o.days_to_refund} d to refund")
    if "service_kinds" in e:
        services = router().network.services
        for s in o.shipments:
            if s.legs:
                kind = services[s.legs[0].service_id].kind
                v.check(
                    kind in {ServiceKind(k) for k in e["service_kinds"]},
                    f"first leg by {kind.value} ({s.legs[0].service_id})",
                )
    options = [o, *d.alternatives]
    if "exit_reclaim" in e:
        want = e["exit_reclaim"]
        for x in options:
            if len(x.shipments) == 1 and _leaves(c, x):
                got = _reclaimed(x)
                v.check(
                    abs(got - want) <= max(2, want // 100),
                    f"{x.label} leaves the customs area and credits {got}, not {want}",
                )
    if "no_reclaim_inside" in e:
        for x in options:
            if not _leaves(c, x):
                v.check(_reclaimed(x) == 0, f"{x.label} stays inside and credits {_reclaimed(x)}")
    return v.problems


def _ids() -> list[str]:
    return [c["id"] for c in cases()]


def test_the_golden_file_is_complete_and_well_formed() -> None:
    """At least 40 cases, unique ids, only known keys, each with its reasoning; the spread the
    issue asks for: customers in EU/UK/US/CA/AU/JP, grades A-D, multi-item and multi-unit
    returns, tight SLAs, light and heavy and bulky, cheap and expensive."""
    all_cases = cases()
    assert len(all_cases) >= 40
    assert len(set(_ids())) == len(all_cases)
    for c in all_cases:
        assert set(c) <= _CASE_KEYS, (c["id"], set(c) - _CASE_KEYS)
        assert set(c["expect"]) <= _EXPECT_KEYS, (c["id"], set(c["expect"]) - _EXPECT_KEYS)
        assert len(c["reasoning"]) > 40, c["id"]
        assert c["expect"].get("needs", "parcels") in NEEDS
    countries = {c["country"] for c in all_cases}
    assert {"FR", "DE", "GB", "US", "CA", "AU", "JP"} <= countries
    grades = {i["grade"] for c in all_cases for i in c["items"]}
    assert grades == {"A", "B", "C", "D"}
    assert any(len(c["items"]) > 1 for c in all_cases)
    assert any(i.get("quantity", 1) > 1 for c in all_cases for i in c["items"])
    assert any("max_days_to_refund" in c.get("constraints", {}) for c in all_cases)
    weights = [i["weight_g"] for c in all_cases for i in c["items"]]
    assert min(weights) <= 100
    assert max(weights) >= 20_000


@pytest.mark.parametrize("case_id", _ids())
def test_golden_decision(case_id: str) -> None:
    """The chosen option of each golden return is one its expert would sign (see the case's
    reasoning in tests/data/golden_decisions.toml)."""
    c = next(x for x in cases() if x["id"] == case_id)
    needs = c["expect"].get("needs")
    try:
        d = router().route(_return(c), time_limit_s=5)
        problems = judge(c, d)
    except NoFeasibleOption as exc:
        problems = [f"no feasible option: {[v.type for v in exc.violations]}"]
    if problems and needs:
        pytest.skip(f"needs {needs}, {NEEDS[needs]}: today {'; '.join(problems)[:300]}")
    assert not problems, f"{case_id}: {problems}"
