"""The shipped what-if scenarios: the optimized plan never costs more than a rule, every
policy's terms add up to its plan's cost, capacities hold, and the report explains the
difference term by term."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.plan.executor import SerialExecutor
from routing.whatif.fmt import money
from routing.whatif.headline import PROSE, because, diversion_sentence, headline
from routing.whatif.kpis import TERMS
from routing.whatif.policies import LOCAL_FIRST, OPTIMIZED, POLICIES, RULES
from routing.whatif.report import to_dict, write_report
from routing.whatif.runner import ScenarioResult, run_scenario
from routing.whatif.scenario import BASE
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


def test_headline_names_the_cheapest_option_and_what_it_saves(result: ScenarioResult) -> None:
    """The headline's winner is the cheapest (variant, policy) of the run; its savings are the
    differences of totals against the base under the same policy and against local first on
    the base; the answer sentence and every finding are written from those figures."""
    h = headline(result)
    assert h is not None
    cheapest = min(p.total_cost_minor for v in result.variants for p in v.policies)
    assert h.winner.total_cost_minor == cheapest
    base = result.variant(BASE)
    assert h.today.total_cost_minor == base.policy(LOCAL_FIRST).total_cost_minor
    assert h.base.total_cost_minor == base.policy(h.winner.policy).total_cost_minor
    assert h.saving_minor(h.today) == h.today.total_cost_minor - cheapest >= 0
    cur = h.currency
    assert money(h.saving_minor(h.today), cur, whole=True) in h.answer
    assert h.winner.variant in h.take
    assert h.winner.label in h.take
    assert 1 <= len(h.findings) <= 3
    assert len(set(h.findings)) == len(h.findings)
    data = to_dict(result)["headline"]
    assert isinstance(data, dict)
    assert data["saving_vs_today_minor"] == h.saving_minor(h.today)
    assert data["findings"] == list(h.findings)


def test_diversions_are_explained_by_their_largest_terms(result: ScenarioResult) -> None:
    """Every diversion (optimized vs local first) counts its returns once per country, its net
    is the sum of its term deltas, and its sentence names the most favourable term."""
    seen = 0
    for v in result.variants:
        for d in v.diversions:
            seen += 1
            assert d.destination != d.instead_of
            assert d.returns == sum(n for _, n in d.countries) > 0
            assert d.net_delta_minor == sum(x for _, x in d.term_deltas_minor)
            gains = [x for x in d.term_deltas_minor if x[1] < 0]
            sentence = diversion_sentence(d, v, v.currency)
            assert sentence.startswith(f"{d.returns} return")
            if gains:
                term = min(gains, key=lambda x: x[1])[0]
                assert because(d, v.currency)[0].split(" and ")[0].endswith(PROSE.get(term, term))
    assert seen  # the shipped scenarios all move some returns
