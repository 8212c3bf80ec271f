"""The shipped what-if scenarios: the optimized plan never costs more than a rule, every
policy's terms add up to its plan's cost, capacities hold, and the report explains the
difference term by term."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.plan.executor import SerialExecutor
from routing.whatif.kpis import TERMS
from routing.whatif.policies import OPTIMIZED, POLICIES, RULES
from routing.whatif.report import to_dict, write_report
from routing.whatif.runner import ScenarioResult, run_scenario
from tests.routing.whatif.conftest import SHIPPED

SCENARIOS = sorted(SHIPPED.glob("*.toml"))


def test_three_scenarios_are_shipped() -> None:
    """The open-an-EU-hub, UK-3PL-after-a-duty-change and carrier-rate-increase scenarios."""
    assert {p.stem for p in SCENARIOS} >= {
        "eu_hub_vs_us_origin",
        "uk_3pl_after_duty_change",
        "carrier_rate_increase",
    }


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def result(request: pytest.FixtureRequest) -> ScenarioResult:
    path: Path = request.param
    return run_scenario(path, executor=SerialExecutor())


def test_optimized_never_costs_more_than_a_rule(result: ScenarioResult) -> None:
    """On the same batch and problem, in every variant, optimized <= each rule policy."""
    assert len(result.variants) >= 2
    for v in result.variants:
        assert {p.policy for p in v.policies} == set(POLICIES)
        opt = v.policy(OPTIMIZED)
        for rule in RULES:
            assert opt.total_cost_minor <= v.policy(rule).total_cost_minor, (v.name, rule)
        assert opt.returns == v.returns - len(v.unroutable)


def test_terms_add_up_and_capacities_hold(result: ScenarioResult) -> None:
    """Each policy's named terms sum to its total; no facility is loaded past its capacity
    (overflow is priced instead); every return of the batch is planned once."""
    for v in result.variants:
        for p in v.policies:
            assert sum(amount for _, amount in p.terms) == p.total_cost_minor
            assert [t for t, _ in p.terms] == list(TERMS)
            for f in p.facilities:
                assert f.load_units <= f.capacity_units, (v.name, p.policy, f.facility_id)
            assert sum(fl.returns for fl in p.flows) == p.returns
            assert 0 <= p.days_to_refund_p50 <= p.days_to_refund_p90


def test_report_shows_term_by_term_differences(result: ScenarioResult, tmp_path: Path) -> None:
    """report.json holds, per variant and rule, the optimized minus rule difference of every
    term, adding up to the difference of totals; the HTML names each term row."""
    paths = write_report(result, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(to_dict(result)))
    for v in data["variants"]:
        for rule, diff in v["optimized_vs_rules_minor"].items():
            assert rule in RULES
            assert sum(diff["terms"].values()) == diff["total"]
            assert diff["total"] <= 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-term="net"' in html
    assert 'data-term="recovery_value"' in html
    assert {p.name for p in paths} >= {"report.html", "report.json", "kpis.csv", "terms.csv"}
