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

from customs.fx import format_minor
from routing.whatif import charts
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
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222;
  padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.85rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
tr.optimized td { background: #eef7f1; font-weight: 600; }
.neg { color: #1c7c54; } .pos { color: #b03a2e; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.8rem; color: #555; }
.note { font-size: 0.85rem; color: #444; max-width: 60rem; }
</style>
</head>
<body>
<h1>What-if: {{ name }}</h1>
<p>{{ description }}</p>
<p class="note">Scenario file <code>{{ file }}</code>; {{ variants|length }} variants x
{{ policies|length }} policies, run on the {{ executor }} executor ({{ workers }} at a time) in
{{ "%.1f"|format(elapsed_s) }} s. Amounts in {{ currency }}; a negative cost is a net
recovery. Capacity horizon {{ horizon_days }} days; overflow beyond a facility's capacity
priced at {{ overflow_price }} per return, the same for every policy.</p>

<h2>Summary</h2>
<table id="summary">
<tr><th class="l">variant</th><th class="l">policy</th><th>total net cost</th>
<th>per return</th><th>vs base</th><th>duties paid</th><th>reclaimed</th>
<th>refund p50 / p90 (days)</th><th>resale p50 / p90 (days)</th><th>CO2e (kg)</th>
<th>returnless</th><th>max facility use</th><th>dispatch fill</th><th>overflow units</th>
<th>rule fallbacks</th></tr>
{% for v in variants %}{% for p in v.policies %}
<tr class="{{ p.policy }}" data-variant="{{ v.name }}" data-policy="{{ p.policy }}">
<td class="l">{{ v.name }}</td><td class="l">{{ p.label }}</td>
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

<figure><img alt="cost against days to refund" src="{{ charts.cost_vs_refund }}">
<figcaption>Net cost per return against days to refund, every variant and policy.</figcaption>
</figure>

{% for v in variants %}
<section id="variant-{{ v.name }}">
<h2>Variant {{ v.name }}</h2>
<p>{{ v.description }}</p>
{% if v.changes %}<ul>{% for c in v.changes %}<li>{{ c }}</li>{% endfor %}</ul>{% endif %}
<p class="note">{{ v.returns }} returns ({{ v.unroutable }} unroutable), {{ v.classes }}
classes, {{ v.options }} options; built in {{ "%.1f"|format(v.build_s) }} s, planned in
{{ "%.1f"|format(v.solve_s) }} s. Optimized plan: {{ v.solver }}.</p>

<h3>Cost by term</h3>
<table class="terms" data-variant="{{ v.name }}">
<tr><th class="l">term</th>{% for p in v.policies %}<th>{{ p.label }}</th>{% endfor %}
{% for p in v.rules %}<th>optimized − {{ p.label }}</th>{% endfor %}</tr>
{% for row in v.term_rows %}
<tr data-term="{{ row.term }}"><td class="l">{{ row.label }}</td>
{% for cell in row.cells %}<td>{{ cell }}</td>{% endfor %}
{% for cell in row.deltas %}<td class="{{ cell.cls }}" data-delta="{{ cell.policy }}">
{{- cell.text }}</td>{% endfor %}
</tr>{% endfor %}
</table>

<figure><img alt="cost waterfall per policy, {{ v.name }}" src="{{ v.charts.waterfall }}">
<figcaption>Each term stacked on the last, then the net cost, per policy.</figcaption></figure>
<figure><img alt="optimized vs {{ v.best_rule }}, {{ v.name }}" src="{{ v.charts.difference }}">
<figcaption>Where the optimized plan differs from the cheapest rule ({{ v.best_rule }}),
term by term (green = cheaper).</figcaption></figure>
<figure><img alt="facility utilization, {{ v.name }}" src="{{ v.charts.utilization }}">
<figcaption>Load over capacity across the horizon; the dashed line is full.</figcaption></figure>
<figure><img alt="flow map, {{ v.name }}" src="{{ v.charts.flow_map }}">
<figcaption>Optimized plan: returns from customer countries to their first stop, and on by
line-haul, drawn from the facilities' coordinates.</figcaption></figure>
</section>
{% endfor %}

<h2>Method</h2>
<p class="note">Every policy is a plan of the same problem: the planner's options for each
return (the routes, costs and customs RouteReturn uses), facility capacities over the horizon,
line-haul paid per dispatch. Rules take the returns in batch order; a return whose facility is
full goes to overflow at the planner's overflow price. Each return's terms are the engine's
own; the line-haul term is the plan's dispatches plus the per-kg part. The optimized plan is
the planner's solve of that problem, started from the best rule plan, so it never costs more
than a rule.</p>
</body>
</html>
"""


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _signed(amount_minor: int | None, currency: str) -> tuple[str, str]:
    if amount_minor is None:
        return "–", ""
    text = format_minor(amount_minor, currency)
    cls = "neg" if amount_minor < 0 else ("pos" if amount_minor > 0 else "")
    return ("+" + text if amount_minor > 0 else text), cls


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _days(p50: int | None, p90: int | None) -> str:
    return "–" if p50 is None or p90 is None else f"{p50} / {p90}"


def _variant_view(v: VariantResult, result: ScenarioResult) -> dict[str, object]:
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
                "total_cost_minor": p.total_cost_minor,
                "total": format_minor(p.total_cost_minor, cur),
                "per_return": format_minor(round(p.per_return_cost_minor), cur),
                "delta": delta,
                "delta_class": cls,
                "duties": format_minor(p.duties_paid_minor, cur),
                "reclaimed": format_minor(p.reclaimed_minor, cur),
                "refund": _days(p.days_to_refund_p50, p.days_to_refund_p90),
                "resale": _days(p.days_to_resale_p50, p.days_to_resale_p90),
                "co2e": f"{p.co2e_g / 1000:,.1f}",
                "returnless": _pct(p.returnless_share),
                "max_use": _pct(p.max_hub_utilization),
                "fill": _pct(p.dispatch_fill),
                "overflow": p.overflow_units,
                "fallbacks": p.fallbacks,
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
                "cells": [format_minor(value(p), cur) for p in v.policies],
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
        "best_rule": LABELS[best.policy],
        "charts": {
            "waterfall": _data_uri(charts.waterfall(v.policies, cur)),
            "difference": _data_uri(charts.difference(opt, best, cur)),
            "utilization": _data_uri(charts.utilization(v.policies)),
            "flow_map": _data_uri(
                charts.flow_map(
                    opt, v.facility_points, v.region_points, f"{v.name}: optimized plan flows"
                )
            ),
        },
    }


def render_html(result: ScenarioResult) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    sc = result.scenario
    cur = result.variants[0].currency if result.variants else ""
    points = [(v.name, p) for v in result.variants for p in v.policies]
    return env.from_string(_TEMPLATE).render(
        name=sc.name,
        description=sc.description,
        file=sc.path.name,
        executor=result.executor,
        workers=result.workers,
        elapsed_s=result.elapsed_s,
        currency=cur,
        horizon_days=sc.base.horizon_days,
        overflow_price=format_minor(sc.base.overflow_price_minor, cur) if cur else "",
        policies=POLICIES,
        variants=[_variant_view(v, result) for v in result.variants],
        charts={"cost_vs_refund": _data_uri(charts.cost_vs_refund(points, cur))},
    )


def write_report(result: ScenarioResult, out: Path) -> list[Path]:
    """Write report.html, report.json and the CSVs into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    html = out / "report.html"
    html.write_text(render_html(result), encoding="utf-8")
    js = out / "report.json"
    js.write_text(json.dumps(to_dict(result), indent=2), encoding="utf-8")
    return [html, js, *write_csvs(result, out)]
