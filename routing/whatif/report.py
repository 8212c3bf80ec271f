"""The what-if report: ``report.html`` (self-contained: charts embedded as SVG data URIs, no
script, no fetch), ``report.json`` (every figure) and CSVs (``kpis.csv``, ``terms.csv``,
``facilities.csv``, ``lanes.csv``, ``flows.csv``). Amounts are integer minor units of the
network currency in JSON and CSV; the page shows them in major units.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import jinja2

from routing.whatif import charts
from routing.whatif.fmt import money, number
from routing.whatif.headline import DIVERSIONS_SHOWN, Headline, diversion_sentence, headline
from routing.whatif.kpis import TERMS, PolicyKpis
from routing.whatif.policies import LABELS, OPTIMIZED, POLICIES
from routing.whatif.runner import ScenarioResult, VariantResult
from routing.whatif.scenario import BASE

KPI_COLUMNS = (
    "total_cost_minor",
    "per_return_cost_minor",
    "delta_vs_base_minor",
    "duties_paid_minor",
    "reclaimed_minor",
    "days_to_refund_p50",
    "days_to_refund_p90",
    "days_to_resale_p50",
    "days_to_resale_p90",
    "co2e_kg",
    "returnless_share",
    "max_hub_utilization",
    "dispatch_fill",
    "overflow_units",
    "fallbacks",
)


def kpi_row(p: PolicyKpis, base: PolicyKpis | None) -> dict[str, object]:
    fill = p.dispatch_fill
    return {
        "total_cost_minor": p.total_cost_minor,
        "per_return_cost_minor": round(p.per_return_cost_minor),
        "delta_vs_base_minor": None if base is None else p.total_cost_minor - base.total_cost_minor,
        "duties_paid_minor": p.duties_paid_minor,
        "reclaimed_minor": p.reclaimed_minor,
        "days_to_refund_p50": p.days_to_refund_p50,
        "days_to_refund_p90": p.days_to_refund_p90,
        "days_to_resale_p50": p.days_to_resale_p50,
        "days_to_resale_p90": p.days_to_resale_p90,
        "co2e_kg": round(p.co2e_g / 1000, 1),
        "returnless_share": round(p.returnless_share, 4),
        "max_hub_utilization": round(p.max_hub_utilization, 4),
        "dispatch_fill": None if fill is None else round(fill, 4),
        "overflow_units": p.overflow_units,
        "fallbacks": p.fallbacks,
    }


def _base_of(result: ScenarioResult, policy: str) -> PolicyKpis | None:
    base = next((v for v in result.variants if v.name == BASE), None)
    return None if base is None else base.policy(policy)


def to_dict(result: ScenarioResult) -> dict[str, object]:
    sc = result.scenario
    h = headline(result)
    variants = []
    for v in result.variants:
        policies = {}
        for p in v.policies:
            base = _base_of(result, p.policy) if v.name != BASE else None
            policies[p.policy] = {
                "label": LABELS[p.policy],
                **kpi_row(p, base),
                "returns": p.returns,
                "units": p.units,
                "terms_minor": dict(p.terms),
                "term_deltas_vs_base_minor": None
                if base is None
                else {t: p.term(t) - base.term(t) for t in TERMS},
                "solver": p.solver or None,
                "optimal": p.optimal,
                "facilities": [
                    {
                        "facility_id": f.facility_id,
                        "kind": f.kind,
                        "load_units": f.load_units,
                        "capacity_units": f.capacity_units,
                        "utilization": round(f.utilization, 4),
                    }
                    for f in p.facilities
                ],
                "lanes": [
                    {
                        "lane_id": lane.lane_id,
                        "load_units": lane.load_units,
                        "dispatches": lane.dispatches,
                        "capacity_units_per_dispatch": lane.capacity_units_per_dispatch,
                        "fixed_cost_minor_per_dispatch": lane.fixed_cost_minor,
                    }
                    for lane in p.lanes
                ],
            }
        opt = v.policy(OPTIMIZED)
        variants.append(
            {
                "name": v.name,
                "description": v.description,
                "changes": list(v.changes),
                "returns": v.returns,
                "unroutable": [{"return_id": r, "reason": why} for r, why in v.unroutable],
                "classes": v.classes,
                "options": v.options,
                "timings_s": {
                    "build": round(v.build_s, 3),
                    "solve": round(v.solve_s, 3),
                    "total": round(v.elapsed_s, 3),
                },
                "policies": policies,
                "diversions_vs_local_first": [
                    {
                        "destination": d.destination,
                        "instead_of": d.instead_of,
                        "returns": d.returns,
                        "countries": dict(d.countries),
                        "term_deltas_minor": dict(d.term_deltas_minor),
                        "net_delta_minor": d.net_delta_minor,
                        "dispositions": dict(d.dispositions),
                        "instead_dispositions": dict(d.instead_dispositions),
                        "explanation": diversion_sentence(d, v, v.currency),
                    }
                    for d in v.diversions
                ],
                "optimized_vs_rules_minor": {
                    p.policy: {
                        "total": opt.total_cost_minor - p.total_cost_minor,
                        "terms": {t: opt.term(t) - p.term(t) for t in TERMS},
                    }
                    for p in v.policies
                    if p.policy != OPTIMIZED
                },
            }
        )
    return {
        "scenario": sc.name,
        "description": sc.description,
        "file": str(sc.path),
        "currency": result.variants[0].currency if result.variants else "",
        "executor": result.executor,
        "workers": result.workers,
        "elapsed_s": round(result.elapsed_s, 3),
        "settings": {
            "horizon_days": sc.base.horizon_days,
            "time_limit_s": sc.base.time_limit_s,
            "overflow_price_minor": sc.base.overflow_price_minor,
        },
        "policies": list(POLICIES),
        "headline": None if h is None else h.to_dict(),
        "variants": variants,
    }


# -- CSV ------------------------------------------------------------------------------------


def _write_csv(path: Path, header: list[str], rows: Iterator[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_csvs(result: ScenarioResult, out: Path) -> list[Path]:
    cur = result.variants[0].currency if result.variants else ""

    def kpis() -> Iterator[list[object]]:
        for v in result.variants:
            for p in v.policies:
                base = _base_of(result, p.policy) if v.name != BASE else None
                row = kpi_row(p, base)
                yield [v.name, p.policy, p.returns, cur, *(row[c] for c in KPI_COLUMNS)]

    def terms() -> Iterator[list[object]]:
        for v in result.variants:
            for p in v.policies:
                for t, amount in p.terms:
                    yield [v.name, p.policy, t, amount, cur]

    def facilities() -> Iterator[list[object]]:
        for v in result.variants:
            for p in v.policies:
                for f in p.facilities:
                    yield [
                        v.name,
                        p.policy,
                        f.facility_id,
                        f.kind,
                        f.load_units,
                        f.capacity_units,
                        round(f.utilization, 4),
                    ]

    def lanes() -> Iterator[list[object]]:
        for v in result.variants:
            for p in v.policies:
                for lane in p.lanes:
                    yield [
                        v.name,
                        p.policy,
                        lane.lane_id,
                        lane.load_units,
                        lane.dispatches,
                        lane.capacity_units_per_dispatch,
                        lane.fixed_cost_minor,
                        cur,
                    ]

    def flows() -> Iterator[list[object]]:
        for v in result.variants:
            for p in v.policies:
                for f in p.flows:
                    yield [
                        v.name,
                        p.policy,
                        f.country,
                        f.first_stop,
                        f.destination,
                        f.lane,
                        f.returns,
                        f.overflow,
                    ]

    paths = [out / n for n in ("kpis.csv", "terms.csv", "facilities.csv", "lanes.csv", "flows.csv")]
    _write_csv(paths[0], ["variant", "policy", "returns", "currency", *KPI_COLUMNS], kpis())
    _write_csv(paths[1], ["variant", "policy", "term", "amount_minor", "currency"], terms())
    _write_csv(
        paths[2],
        ["variant", "policy", "facility_id", "kind", "load_units", "capacity_units", "utilization"],
        facilities(),
    )
    _write_csv(
        paths[3],
        [
            "variant",
            "policy",
            "lane_id",
            "load_units",
            "dispatches",
            "capacity_units_per_dispatch",
            "fixed_cost_minor_per_dispatch",
            "currency",
        ],
        lanes(),
    )
    _write_csv(
        paths[4],
        [
            "variant",
            "policy",
            "country",
            "first_stop",
            "destination",
            "lane",
            "returns",
            "overflow",
        ],
        flows(),
    )
    return paths


# -- HTML -----------------------------------------------------------------------------------

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>What-if: {{ name }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.2rem auto; max-width: 1320px; color: #222;
  padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; margin: 0 0 0.2rem; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
h3 { margin-top: 1.6rem; }
.lede { margin: 0 0 0.8rem; color: #444; }
#headline { border: 1px solid #b9d8c6; background: #f2faf5; border-radius: 6px;
  padding: 0.8rem 1.1rem; }
#headline .take { font-size: 1.25rem; font-weight: 700; margin: 0 0 0.3rem; }
#headline .answer { margin: 0 0 0.7rem; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.6rem; margin: 0 0 0.6rem; }
.tile { background: #fff; border: 1px solid #d6e6dc; border-radius: 4px; padding: 0.4rem 0.6rem; }
.tile .k { font-size: 0.78rem; color: #555; } .tile .v { font-size: 1.2rem; font-weight: 700; }
.tile .s { font-size: 0.8rem; color: #444; }
#findings { margin: 0.3rem 0 0; padding-left: 1.3rem; } #findings li { margin: 0.25rem 0; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.82rem; }
th, td { border: 1px solid #ddd; padding: 0.22rem 0.45rem; text-align: right; }
td { white-space: nowrap; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; vertical-align: bottom; } td.l, th.l { text-align: left; }
th.v { background: #fafafa; text-align: left; vertical-align: top; white-space: nowrap; }
tr.optimized td { background: #eef7f1; font-weight: 600; }
tr.winner td { background: #d7efe0; }
.neg { color: #1c7c54; } .pos { color: #b03a2e; }
figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; display: block; }
figure h4 { margin: 0 0 0.3rem; font-size: 0.95rem; }
figcaption { font-size: 0.82rem; color: #444; max-width: 64rem; }
.note { font-size: 0.85rem; color: #444; max-width: 64rem; }
</style>
</head>
<body>
<h1>What-if: {{ name }}</h1>
<p class="lede">{{ description }}</p>
{% if h %}
<section id="headline" data-variant="{{ h.winner.variant }}" data-policy="{{ h.winner.policy }}">
<p class="take">{{ h.take }}</p>
<p class="answer">{{ h.answer }}</p>
<div class="tiles">
<div class="tile" data-kpi="saving_vs_today">
<div class="k">saving vs today (local first, base network), {{ currency }}</div>
<div class="v">{{ h.vs_today }}</div>
<div class="s">{{ h.vs_today_per_return }} per return</div></div>
<div class="tile" data-kpi="saving_vs_base">
<div class="k">saving vs the base network ({{ h.winner.label }}), {{ currency }}</div>
<div class="v">{{ h.vs_base }}</div>
<div class="s">{{ h.vs_base_per_return }} per return</div></div>
<div class="tile" data-kpi="co2e_change"><div class="k">CO2e vs today, kg</div>
<div class="v">{{ h.co2e }}</div>
<div class="s">{{ h.co2e_share }} ({{ h.today_co2e }} kg today)</div></div>
<div class="tile" data-kpi="refund_days"><div class="k">days to refund p50 / p90</div>
<div class="v">{{ h.refund }}</div><div class="s">today {{ h.today_refund }}</div></div>
</div>
<strong>What a planner must know</strong>
<ol id="findings">{% for f in h.findings %}<li>{{ f }}</li>{% endfor %}</ol>
</section>
{% endif %}

<h2>Summary</h2>
<p class="note">Amounts in {{ currency }} (totals rounded to whole {{ currency }}; a negative
cost is a net recovery); "vs base" is the base network under the same policy. Scenario file
<code>{{ file }}</code>; {{ variants|length }} variants x {{ policies|length }} policies, run on
the {{ executor }} executor ({{ workers }} at a time) in {{ "%.1f"|format(elapsed_s) }} s.
Capacity horizon {{ horizon_days }} days; overflow beyond a facility's capacity priced at
{{ overflow_price }} {{ currency }} per return, the same for every policy.</p>
<table id="summary">
<tr><th class="l">variant</th><th class="l">policy</th><th>net cost</th>
<th>per return</th><th>vs base</th><th>duties paid</th><th>reclaimed</th>
<th>refund days<br>p50 / p90</th><th>resale days<br>p50 / p90</th><th>CO2e<br>kg</th>
<th>returnless</th><th>max facility<br>use</th><th>dispatch<br>fill</th><th>overflow<br>units</th>
<th>rule<br>fallbacks</th></tr>
{% for v in variants %}{% for p in v.policies %}
<tr class="{{ p.policy }}{% if p.winner %} winner{% endif %}"
 data-variant="{{ v.name }}" data-policy="{{ p.policy }}">
{% if loop.first %}<th class="v" rowspan="{{ v.policies|length }}">{{ v.name }}</th>{% endif %}
<td class="l">{{ p.label }}</td>
<td data-kpi="total_cost_minor" data-value="{{ p.total_cost_minor }}">{{ p.total }}</td>
<td data-kpi="per_return_cost_minor">{{ p.per_return }}</td>
<td data-kpi="delta_vs_base_minor" class="{{ p.delta_class }}">{{ p.delta }}</td>
<td data-kpi="duties_paid_minor">{{ p.duties }}</td>
<td data-kpi="reclaimed_minor">{{ p.reclaimed }}</td>
<td data-kpi="days_to_refund">{{ p.refund }}</td>
<td data-kpi="days_to_resale">{{ p.resale }}</td>
<td data-kpi="co2e_kg">{{ p.co2e }}</td>
<td data-kpi="returnless_share">{{ p.returnless }}</td>
<td data-kpi="max_hub_utilization">{{ p.max_use }}</td>
<td data-kpi="dispatch_fill">{{ p.fill }}</td>
<td data-kpi="overflow_units">{{ p.overflow }}</td>
<td data-kpi="fallbacks">{{ p.fallbacks }}</td></tr>
{% endfor %}{% endfor %}
</table>

{% for c in [overview] %}{% include "figure" %}{% endfor %}

{% for v in variants %}
<section id="variant-{{ v.name }}">
<h2>Variant {{ v.name }}</h2>
<p>{{ v.description }}</p>
{% if v.changes %}<ul>{% for c in v.changes %}<li>{{ c }}</li>{% endfor %}</ul>{% endif %}
<p class="note">{{ v.returns }} returns ({{ v.unroutable }} unroutable), {{ v.classes }}
classes, {{ v.options }} options; built in {{ "%.1f"|format(v.build_s) }} s, planned in
{{ "%.1f"|format(v.solve_s) }} s. Optimized plan: {{ v.solver }}.</p>
{% if v.diversions %}
<h3>Where the optimized plan sends returns other than local first, and why</h3>
<ul class="diversions">{% for d in v.diversions %}<li>{{ d }}</li>{% endfor %}</ul>
{% endif %}

<h3>Cost by term ({{ currency }})</h3>
<table class="terms" data-variant="{{ v.name }}">
<tr><th class="l">term</th>{% for p in v.policies %}<th>{{ p.label }}</th>{% endfor %}
{% for p in v.rules %}<th>optimized<br>− {{ p.label }}</th>{% endfor %}</tr>
{% for row in v.term_rows %}
<tr data-term="{{ row.term }}"><td class="l">{{ row.label }}</td>
{% for cell in row.cells %}<td>{{ cell }}</td>{% endfor %}
{% for cell in row.deltas %}<td class="{{ cell.cls }}" data-delta="{{ cell.policy }}">
{{- cell.text }}</td>{% endfor %}
</tr>{% endfor %}
</table>

{% for c in v.charts %}{% include "figure" %}{% endfor %}
</section>
{% endfor %}

<h2>Method</h2>
<p class="note">Every policy is a plan of the same problem: the planner's options for each
return (the routes, costs and customs RouteReturn uses), facility capacities over the horizon,
line-haul paid per dispatch. Rules take the returns in batch order; a return whose facility is
full goes to overflow at the planner's overflow price. Each return's terms are the engine's
own; the line-haul term is the plan's dispatches plus the per-kg part. The optimized plan is
the planner's solve of that problem, started from the best rule plan, so it never costs more
than a rule. The findings compare, return by return, where the optimized plan and local first
send each return and add up the cost terms of both (line-haul dispatches shared by units).</p>
</body>
</html>
"""

_FIGURE = """<figure class="chart" data-chart="{{ c.key }}">
<h4 class="chart-title">{{ c.title }}</h4>
<img alt="{{ c.title }}" src="{{ c.src }}">
<figcaption>{{ c.caption }}</figcaption>
</figure>
"""


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _figure(key: str, chart: charts.Chart) -> dict[str, str]:
    return {"key": key, "title": chart.title, "caption": chart.caption, "src": _data_uri(chart.svg)}


def _signed(amount_minor: int | None, currency: str) -> tuple[str, str]:
    if amount_minor is None:
        return "–", ""
    text = money(amount_minor, currency, whole=True, signed=True)
    cls = "neg" if amount_minor < 0 else ("pos" if amount_minor > 0 else "")
    return text, cls


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _days(p50: int | None, p90: int | None) -> str:
    return "–" if p50 is None or p90 is None else f"{p50} / {p90}"


def _variant_view(
    v: VariantResult, result: ScenarioResult, winner: tuple[str, str] | None
) -> dict[str, object]:
    cur = v.currency
    policies = []
    for p in v.policies:
        base = _base_of(result, p.policy) if v.name != BASE else None
        delta, cls = _signed(
            None if base is None else p.total_cost_minor - base.total_cost_minor, cur
        )
        policies.append(
            {
                "policy": p.policy,
                "label": LABELS[p.policy],
                "winner": (v.name, p.policy) == winner,
                "total_cost_minor": p.total_cost_minor,
                "total": money(p.total_cost_minor, cur, whole=True),
                "per_return": money(p.per_return_cost_minor, cur),
                "delta": delta,
                "delta_class": cls,
                "duties": money(p.duties_paid_minor, cur, whole=True),
                "reclaimed": money(p.reclaimed_minor, cur, whole=True),
                "refund": _days(p.days_to_refund_p50, p.days_to_refund_p90),
                "resale": _days(p.days_to_resale_p50, p.days_to_resale_p90),
                "co2e": number(p.co2e_g / 1000),
                "returnless": _pct(p.returnless_share),
                "max_use": _pct(p.max_hub_utilization),
                "fill": _pct(p.dispatch_fill),
                "overflow": number(p.overflow_units),
                "fallbacks": number(p.fallbacks),
            }
        )
    opt = v.policy(OPTIMIZED)
    rules = [p for p in v.policies if p.policy != OPTIMIZED]
    rows = []
    for t in (*TERMS, "net"):
        if t != "net" and not any(p.term(t) for p in v.policies):
            continue

        def value(p: PolicyKpis, t: str = t) -> int:
            return p.total_cost_minor if t == "net" else p.term(t)

        deltas = []
        for r in rules:
            text, cls = _signed(value(opt) - value(r), cur)
            deltas.append({"policy": r.policy, "text": text, "cls": cls})
        rows.append(
            {
                "term": t,
                "label": "net cost" if t == "net" else charts.term_label(t),
                "cells": [money(value(p), cur, whole=True) for p in v.policies],
                "deltas": deltas,
            }
        )
    best = charts.best_rule(v.policies)
    return {
        "name": v.name,
        "description": v.description,
        "changes": v.changes,
        "returns": v.returns,
        "unroutable": len(v.unroutable),
        "classes": v.classes,
        "options": v.options,
        "build_s": v.build_s,
        "solve_s": v.solve_s,
        "solver": opt.solver,
        "policies": policies,
        "rules": [{"policy": r.policy, "label": LABELS[r.policy]} for r in rules],
        "term_rows": rows,
        "diversions": [diversion_sentence(d, v, cur) for d in v.diversions[:DIVERSIONS_SHOWN]],
        "charts": [
            _figure("waterfall", charts.waterfall(v.policies, cur)),
            _figure("difference", charts.difference(opt, best, cur)),
            _figure("utilization", charts.utilization(v.policies)),
            _figure("flow_map", charts.flow_map(opt, v.facility_points, v.region_points, v.name)),
        ],
    }


def _headline_view(h: Headline) -> dict[str, object]:
    cur = h.currency
    co2 = h.winner.co2e_kg - h.today.co2e_kg
    return {
        "winner": h.winner,
        "take": h.take,
        "answer": "It " + h.answer.removeprefix(h.take + ": it "),
        "vs_today": money(h.saving_minor(h.today), cur, whole=True),
        "vs_today_per_return": money(h.saving_per_return_minor(h.today), cur),
        "vs_base": money(h.saving_minor(h.base), cur, whole=True),
        "vs_base_per_return": money(h.saving_per_return_minor(h.base), cur),
        "co2e": number(co2, signed=True),
        "co2e_share": number(100 * co2 / h.today.co2e_kg, signed=True) + " %"
        if h.today.co2e_kg
        else "–",
        "today_co2e": number(h.today.co2e_kg),
        "refund": f"{h.winner.days_to_refund_p50} / {h.winner.days_to_refund_p90}",
        "today_refund": f"{h.today.days_to_refund_p50} / {h.today.days_to_refund_p90}",
        "findings": h.findings,
    }


def render_html(result: ScenarioResult) -> str:
    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        loader=jinja2.DictLoader({"figure": _FIGURE}),
    )
    sc = result.scenario
    cur = result.variants[0].currency if result.variants else ""
    points = [(v.name, p) for v in result.variants for p in v.policies]
    h = headline(result)
    winner = None if h is None else (h.winner.variant, h.winner.policy)
    return env.from_string(_TEMPLATE).render(
        name=sc.name,
        description=sc.description,
        file=sc.path.name,
        executor=result.executor,
        workers=result.workers,
        elapsed_s=result.elapsed_s,
        currency=cur,
        horizon_days=sc.base.horizon_days,
        overflow_price=money(sc.base.overflow_price_minor, cur) if cur else "",
        policies=POLICIES,
        h=None if h is None else _headline_view(h),
        variants=[_variant_view(v, result, winner) for v in result.variants],
        overview=_figure("cost_vs_refund", charts.cost_vs_refund(points, cur)),
    )


def write_report(result: ScenarioResult, out: Path) -> list[Path]:
    """Write report.html, report.json and the CSVs into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    html = out / "report.html"
    html.write_text(render_html(result), encoding="utf-8")
    js = out / "report.json"
    js.write_text(json.dumps(to_dict(result), indent=2), encoding="utf-8")
    return [html, js, *write_csvs(result, out)]
