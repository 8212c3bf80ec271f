"""The report's charts, drawn with matplotlib as standalone SVG documents.

matplotlib renders on the server side with no JavaScript and no network: each chart is a
complete SVG (glyphs as paths, so no font is needed either) that the report embeds as a
``data:`` URI, which keeps ``report.html`` one self-contained file that any browser shows.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from routing.whatif.kpis import TERMS, PolicyKpis
from routing.whatif.policies import LABELS, OPTIMIZED

_POLICY_COLORS = {
    "always_to_origin": "#b45f06",
    "nearest_facility": "#7f6000",
    "local_first": "#674ea7",
    "optimized": "#1c7c54",
}
_KIND_MARKERS = {"origin": ("s", "#1f3b73"), "hub": ("D", "#c0392b"), "local_3pl": ("o", "#2e86c1")}
_VARIANT_MARKERS = "o^sDvP*Xh"


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "reroute-whatif", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def _major(amount_minor: float, exponent: int = 2) -> float:
    return float(amount_minor) / float(10**exponent)


def term_label(term: str) -> str:
    return {
        "linehaul_share": "line-haul (dispatches, per kg)",
        "co2e": "CO2e (priced)",
        "overflow": "overflow (outside the network)",
    }.get(term, term.replace("_", " "))


def waterfall(policies: Sequence[PolicyKpis], currency: str) -> str:
    """One waterfall per policy: each non-zero term stacked on the last, then the net cost."""
    terms = [t for t in TERMS if any(p.term(t) for p in policies)]
    fig, axes = plt.subplots(
        1, len(policies), figsize=(3.4 * len(policies), 4.2), sharey=True, squeeze=False
    )
    for ax, p in zip(axes[0], policies, strict=True):
        level = 0.0
        for i, t in enumerate(terms):
            v = _major(p.term(t)) / 1000
            color = "#c0392b" if v > 0 else "#1c7c54"
            ax.bar(i, v, bottom=level, color=color, width=0.7)
            level += v
        net = _major(p.total_cost_minor) / 1000
        ax.bar(len(terms), net, color=_POLICY_COLORS.get(p.policy, "#555"), width=0.7)
        ax.axhline(0, color="#333", linewidth=0.6)
        ax.set_xticks(range(len(terms) + 1))
        ax.set_xticklabels([term_label(t) for t in terms] + ["net cost"], rotation=70, fontsize=7)
        ax.set_title(f"{LABELS.get(p.policy, p.policy)}\nnet {net:,.1f} k{currency}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel(f"thousand {currency} (red = cost, green = credit)")
    fig.suptitle("Cost waterfall per policy", fontsize=11)
    return _svg(fig)


def difference(optimized: PolicyKpis, rule: PolicyKpis, currency: str) -> str:
    """Where the optimized plan saves against a rule: the term-by-term difference."""
    terms = [t for t in TERMS if optimized.term(t) != rule.term(t)]
    deltas = [_major(optimized.term(t) - rule.term(t)) / 1000 for t in terms]
    fig, ax = plt.subplots(figsize=(7.5, 0.35 * max(4, len(terms)) + 1.2))
    colors = ["#1c7c54" if d < 0 else "#c0392b" for d in deltas]
    ax.barh(range(len(terms)), deltas, color=colors)
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([term_label(t) for t in terms], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="#333", linewidth=0.6)
    total = _major(optimized.total_cost_minor - rule.total_cost_minor) / 1000
    ax.set_xlabel(f"thousand {currency}: optimized minus {LABELS.get(rule.policy, rule.policy)}")
    ax.set_title(
        f"Optimized vs {LABELS.get(rule.policy)}: {total:+,.1f} k{currency} in all", fontsize=10
    )
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def cost_vs_refund(points: Sequence[tuple[str, PolicyKpis]], currency: str) -> str:
    """Per-return net cost against days to refund (p50, whisker to p90), per variant/policy."""
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    variants = list(dict.fromkeys(v for v, _ in points))
    for v, p in points:
        marker = _VARIANT_MARKERS[variants.index(v) % len(_VARIANT_MARKERS)]
        y = _major(p.per_return_cost_minor)
        ax.errorbar(
            p.days_to_refund_p50,
            y,
            xerr=[[0], [p.days_to_refund_p90 - p.days_to_refund_p50]],
            fmt=marker,
            color=_POLICY_COLORS.get(p.policy, "#555"),
            markersize=8,
            capsize=3,
            alpha=0.85,
        )
    for policy, color in _POLICY_COLORS.items():
        ax.plot([], [], "o", color=color, label=LABELS[policy])
    for i, v in enumerate(variants):
        ax.plot([], [], _VARIANT_MARKERS[i % len(_VARIANT_MARKERS)], color="#777", label=v)
    ax.legend(fontsize=7, loc="best", ncol=2)
    ax.set_xlabel("days to refund: median (marker) to p90 (whisker)")
    ax.set_ylabel(f"net cost per return, {currency}")
    ax.set_title("Cost against days to refund", fontsize=11)
    ax.grid(alpha=0.3)
    return _svg(fig)


def utilization(policies: Sequence[PolicyKpis]) -> str:
    """Load over capacity (the plan's horizon) per facility used by any policy."""
    used = sorted({f.facility_id for p in policies for f in p.facilities if f.load_units > 0})
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * max(3, len(used)) + 1.6))
    top = 0.0
    height = 0.8 / max(1, len(policies))
    for j, p in enumerate(policies):
        loads = {f.facility_id: f for f in p.facilities}
        values = [100 * loads[f].utilization if f in loads else 0.0 for f in used]
        top = max([top, *values])
        ax.barh(
            [i + j * height for i in range(len(used))],
            values,
            height=height,
            color=_POLICY_COLORS.get(p.policy, "#555"),
            label=LABELS.get(p.policy, p.policy),
        )
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(used))])
    ax.set_yticklabels(used, fontsize=8)
    ax.invert_yaxis()
    limit = max(10.0, 1.15 * top)
    ax.set_xlim(0, limit)
    if limit >= 100:
        ax.axvline(100, color="#c0392b", linestyle="--", linewidth=0.8)
    ax.set_xlabel("utilization over the horizon, % of capacity")
    ax.set_title("Facility utilization", fontsize=11)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def flow_map(
    policy: PolicyKpis,
    facilities: Sequence[tuple[str, str, str, float, float]],
    regions: Sequence[tuple[str, float, float]],
    title: str,
) -> str:
    """Returns flowing from customer countries to first stops (solid, width by returns) and on
    by line-haul (dashed), on longitude/latitude axes from the network's coordinates."""
    where = {fid: (lon, lat) for fid, _, _, lat, lon in facilities}
    region_at = {c: (lon, lat) for c, lat, lon in regions}
    parcel: dict[tuple[str, str], int] = {}
    onward: dict[tuple[str, str], int] = {}
    for f in policy.flows:
        if not f.first_stop or f.country not in region_at:
            continue
        parcel[(f.country, f.first_stop)] = parcel.get((f.country, f.first_stop), 0) + f.returns
        if f.lane and f.destination != f.first_stop:
            key = (f.first_stop, f.destination)
            onward[key] = onward.get(key, 0) + f.returns
    countries = {c for c, _ in parcel}
    used = {fid for _, fid in parcel} | {d for _, d in onward}
    xs = [region_at[c][0] for c in countries] + [where[f][0] for f in used if f in where]
    ys = [region_at[c][1] for c in countries] + [where[f][1] for f in used if f in where]
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    top = max([*parcel.values(), *onward.values(), 1])
    for (c, fid), n in sorted(parcel.items()):
        if fid not in where:
            continue
        (x0, y0), (x1, y1) = region_at[c], where[fid]
        ax.plot([x0, x1], [y0, y1], color="#2e86c1", alpha=0.55, linewidth=0.5 + 5 * n / top)
    for (a, b), n in sorted(onward.items()):
        if a in where and b in where:
            (x0, y0), (x1, y1) = where[a], where[b]
            ax.plot(
                [x0, x1], [y0, y1], "--", color="#c0392b", alpha=0.8, linewidth=0.8 + 5 * n / top
            )
    for c in sorted(countries):
        x, y = region_at[c]
        ax.plot(x, y, ".", color="#555")
        ax.annotate(c, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    for fid, kind, _, lat, lon in facilities:
        marker, color = _KIND_MARKERS.get(kind, ("o", "#333"))
        active = fid in used
        ax.plot(lon, lat, marker, color=color if active else "#bbb", markersize=8 if active else 5)
        if active:
            ax.annotate(fid, (lon, lat), fontsize=7, xytext=(4, -9), textcoords="offset points")
    if xs and ys:
        pad_x = max(5.0, (max(xs) - min(xs)) * 0.08)
        pad_y = max(4.0, (max(ys) - min(ys)) * 0.12)
        ax.set_xlim(max(-180, min(xs) - pad_x), min(180, max(xs) + pad_x))
        ax.set_ylim(max(-90, min(ys) - pad_y), min(90, max(ys) + pad_y))
        mid = math.radians((min(ys) + max(ys)) / 2)
        ax.set_aspect(1 / max(0.3, math.cos(mid)))
    ax.plot([], [], color="#2e86c1", label="parcel: customer -> first stop")
    ax.plot([], [], "--", color="#c0392b", label="line-haul: hub -> destination")
    for kind, (marker, color) in _KIND_MARKERS.items():
        ax.plot([], [], marker, color=color, label=kind)
    ax.legend(fontsize=7, loc="best")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.25)
    return _svg(fig)


def best_rule(policies: Sequence[PolicyKpis]) -> PolicyKpis:
    rules = [p for p in policies if p.policy != OPTIMIZED]
    return min(rules, key=lambda p: p.total_cost_minor)
