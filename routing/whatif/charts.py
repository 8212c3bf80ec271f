"""The report's charts, drawn with matplotlib as standalone SVG documents.

matplotlib renders on the server side with no JavaScript and no network: each chart is a
complete SVG (glyphs as paths, so no font is needed either) that the report embeds as a
``data:`` URI, which keeps ``report.html`` one self-contained file that any browser shows.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from routing.whatif import basemap
from routing.whatif.fmt import major, money, number
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


class Chart(NamedTuple):
    """One chart: the SVG, and the title and caption the page prints around it (written from
    what was drawn, so the caption never names a mark the chart does not have)."""

    svg: str
    title: str
    caption: str


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "reroute-whatif", "svg.fonttype": "path"}):
        # every chart lays itself out (constrained layout): no second "tight" pass
        fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()


def _major(amount_minor: float, currency: str) -> float:
    return float(major(round(amount_minor), currency))


def _money_axis(currency: str) -> FuncFormatter:
    """Tick labels in whole currency units with thousands separators (Babel)."""
    return FuncFormatter(lambda v, _: number(v))


def term_label(term: str) -> str:
    return {
        "linehaul_share": "line-haul (dispatches, per kg)",
        "co2e": "CO2e (priced)",
        "overflow": "overflow (outside the network)",
    }.get(term, term.replace("_", " "))


def waterfall(policies: Sequence[PolicyKpis], currency: str) -> Chart:
    """One horizontal waterfall per policy (2 columns): each non-zero term starts where the
    last one ended, then the net cost; term names once per row, on the left."""
    terms = [t for t in TERMS if any(p.term(t) for p in policies)]
    cols = 2
    rows = math.ceil(len(policies) / cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(11.5, 0.28 * (len(terms) + 1) * rows + 1.2 * rows),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    names = [term_label(t) for t in terms] + ["net cost"]
    for i, ax in enumerate(axes.flat):
        if i >= len(policies):
            ax.set_visible(False)
            continue
        p = policies[i]
        level = 0.0
        for j, t in enumerate(terms):
            v = _major(p.term(t), currency)
            ax.barh(j, v, left=level, color="#c0392b" if v > 0 else "#1c7c54", height=0.7)
            if j:
                ax.plot([level, level], [j - 1.35, j - 0.35], color="#999", linewidth=0.5)
            level += v
        net = _major(p.total_cost_minor, currency)
        ax.barh(len(terms), net, color=_POLICY_COLORS.get(p.policy, "#555"), height=0.7)
        ax.axvline(0, color="#333", linewidth=0.6)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names, fontsize=8)
        ax.margins(x=0.04)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))  # wide money labels need room
        ax.xaxis.set_major_formatter(_money_axis(currency))
        ax.tick_params(axis="x", labelsize=8)
        net_text = money(p.total_cost_minor, currency, whole=True)
        ax.set_title(
            f"{LABELS.get(p.policy, p.policy)}: net {net_text} {currency}",
            fontsize=9,
            loc="left",
        )
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].invert_yaxis()  # shared: once for all, the first term on top
    for ax in axes[-1]:
        ax.set_xlabel(currency, fontsize=8)
    return Chart(
        _svg(fig),
        "Cost waterfall per policy",
        f"Each cost term ({currency}) starts where the one above ended (red adds cost, green is a"
        " credit); the last bar is the net cost, in the policy's colour.",
    )


def difference(optimized: PolicyKpis, rule: PolicyKpis, currency: str) -> Chart:
    """Where the optimized plan saves against a rule: the term-by-term difference."""
    terms = [t for t in TERMS if optimized.term(t) != rule.term(t)]
    deltas = [_major(optimized.term(t) - rule.term(t), currency) for t in terms]
    fig, ax = plt.subplots(figsize=(9, 0.32 * max(4, len(terms)) + 1.0), layout="constrained")
    colors = ["#1c7c54" if d < 0 else "#c0392b" for d in deltas]
    ax.barh(range(len(terms)), deltas, color=colors)
    span = max([abs(d) for d in deltas] + [1.0])
    for i, d in enumerate(deltas):
        ax.annotate(
            number(d, signed=True),
            (d, i),
            xytext=(4 if d >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if d >= 0 else "right",
            va="center",
            fontsize=7.5,
        )
    lo, hi = min([0.0, *deltas]), max([0.0, *deltas])
    ax.set_xlim(lo - 0.22 * span if lo < 0 else -0.05 * span, hi + 0.22 * span)
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([term_label(t) for t in terms], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="#333", linewidth=0.6)
    ax.xaxis.set_major_formatter(_money_axis(currency))
    rule_label = LABELS.get(rule.policy, rule.policy)
    ax.set_xlabel(f"{currency}, optimized minus {rule_label}", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    total = optimized.total_cost_minor - rule.total_cost_minor
    return Chart(
        _svg(fig),
        f"Optimized vs {rule_label}: {money(total, currency, whole=True, signed=True)} {currency}"
        " in all",
        f"Where the optimized plan differs from the cheapest rule ({rule_label}), term by term,"
        f" in {currency}: green bars are cheaper for the optimized plan, red dearer.",
    )


def cost_vs_refund(points: Sequence[tuple[str, PolicyKpis]], currency: str) -> Chart:
    """Per-return net cost against days to refund (p50, whisker to p90), per variant/policy.

    Variants sit side by side within a day (a small dodge), so options with the same figures
    stay visible; options with identical figures share a marker and are listed in the legend.
    """
    fig, ax = plt.subplots(figsize=(11, 4.6), layout="constrained")
    variants = list(dict.fromkeys(v for v, _ in points))
    step = 0.18
    same: dict[tuple[float, int, int, str], list[str]] = {}
    for v, p in points:
        key = (round(p.per_return_cost_minor), p.days_to_refund_p50, p.days_to_refund_p90, p.policy)
        same.setdefault(key, []).append(v)
    for v, p in points:
        i = variants.index(v)
        marker = _VARIANT_MARKERS[i % len(_VARIANT_MARKERS)]
        x = p.days_to_refund_p50 + (i - (len(variants) - 1) / 2) * step
        y = _major(p.per_return_cost_minor, currency)
        ax.errorbar(
            x,
            y,
            xerr=[[0], [p.days_to_refund_p90 - p.days_to_refund_p50]],
            fmt=marker,
            color=_POLICY_COLORS.get(p.policy, "#555"),
            markersize=8,
            markeredgecolor="white",
            markeredgewidth=0.8,
            capsize=3,
            elinewidth=1.0,
            alpha=0.9,
        )
    if points:  # point at the cheapest option: the answer the page leads with
        v, p = min(points, key=lambda x: x[1].per_return_cost_minor)
        i = variants.index(v)
        ax.annotate(
            f"cheapest: {v}, {LABELS[p.policy]}",
            (
                p.days_to_refund_p50 + (i - (len(variants) - 1) / 2) * step,
                _major(p.per_return_cost_minor, currency),
            ),
            xytext=(40, 12),
            textcoords="offset points",
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "#333", "linewidth": 0.7},
        )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=c, label=LABELS[k])
        for k, c in _POLICY_COLORS.items()
    ]
    handles += [
        Line2D(
            [],
            [],
            marker=_VARIANT_MARKERS[i % len(_VARIANT_MARKERS)],
            linestyle="",
            color="#777",
            label=v,
        )
        for i, v in enumerate(variants)
    ]
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlabel("days to refund: median (marker) to p90 (whisker)", fontsize=9)
    ax.set_ylabel(f"net cost per return, {currency}", fontsize=9)
    ax.axhline(0, color="#333", linewidth=0.6)
    ax.grid(alpha=0.3)
    twins = [f"{' = '.join(vs)} ({LABELS[k[3]]})" for k, vs in same.items() if len(vs) > 1]
    caption = (
        f"Net cost per return ({currency}; below zero is a net recovery) against days to"
        " refund, for every variant (marker shape) and policy (colour). Variants are set side"
        " by side within a day so that none hides another."
    )
    if twins:
        caption += " Identical figures: " + "; ".join(twins) + "."
    return Chart(_svg(fig), "Cost against days to refund", caption)


def utilization(policies: Sequence[PolicyKpis]) -> Chart:
    """Load over capacity (the plan's horizon) per facility used by any policy."""
    used = sorted({f.facility_id for p in policies for f in p.facilities if f.load_units > 0})
    fig, ax = plt.subplots(figsize=(9, 0.36 * max(3, len(used)) + 1.0), layout="constrained")
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
    full = limit >= 100
    if full:
        ax.axvline(100, color="#c0392b", linestyle="--", linewidth=0.8)
    ax.set_xlabel("utilization over the horizon, % of capacity", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="x", alpha=0.3)
    caption = (
        f"Load over capacity across the horizon, per facility and policy; the busiest is at"
        f" {number(top, 1)} %"
    )
    caption += (
        "; the dashed red line is full capacity."
        if full
        else ", so the axis stops at"
        f" {number(limit)} % and full capacity (100 %) lies off the chart."
    )
    return Chart(_svg(fig), "Facility utilization", caption)


def flow_map(
    policy: PolicyKpis,
    facilities: Sequence[tuple[str, str, str, float, float]],
    regions: Sequence[tuple[str, float, float]],
    variant: str,
) -> Chart:
    """Returns flowing from customer countries to their first stop (blue, width by returns)
    and on by line-haul (red dashed), on a Natural Earth basemap; a close-up of the customer
    countries beside the whole view when they are crowded in a corner of it."""
    where = {fid: (lon, lat) for fid, _, _, lat, lon in facilities}
    region_at = {c: (lon, lat) for c, lat, lon in regions}
    parcel: dict[tuple[str, str], int] = {}
    onward: dict[tuple[str, str], int] = {}
    for f in policy.flows:
        if not f.first_stop or f.country not in region_at or f.first_stop not in where:
            continue
        parcel[(f.country, f.first_stop)] = parcel.get((f.country, f.first_stop), 0) + f.returns
        if f.lane and f.destination != f.first_stop and f.destination in where:
            key = (f.first_stop, f.destination)
            onward[key] = onward.get(key, 0) + f.returns
    countries = sorted({c for c, _ in parcel})
    used = {fid for _, fid in parcel} | {d for _, d in onward}
    top = max([*parcel.values(), *onward.values(), 1])
    pts = [region_at[c] for c in countries] + [where[f] for f in where]
    whole = _extent(pts, pad=0.06)
    near = _extent([region_at[c] for c in countries] or pts, pad=0.12)
    close_up = (near[1] - near[0]) < 0.4 * (whole[1] - whole[0])
    if close_up:
        fig, (ax_w, ax_c) = plt.subplots(
            1, 2, figsize=(13, 5.2), layout="constrained", width_ratios=[1.6, 1]
        )
        views = [(ax_w, whole, False), (ax_c, near, True)]
    else:
        fig, ax_w = plt.subplots(figsize=(11, 5.6), layout="constrained")
        views = [(ax_w, whole, True)]
    for ax, box, labels_all in views:
        _flow_view(
            ax,
            box,
            parcel,
            onward,
            top,
            facilities,
            used,
            region_at,
            countries,
            labels_all,
            None if labels_all else near,
        )
    if close_up:
        x0, x1, y0, y1 = near
        ax_w.add_patch(
            Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                fill=False,
                edgecolor="#444",
                linewidth=0.8,
                linestyle=":",
                zorder=4,
            )
        )
        ax_w.set_title("whole network (dotted box: close-up on the right)", fontsize=9)
        ax_c.set_title("close-up of the customer countries", fontsize=9)
    handles = [
        Line2D([], [], color="#2e86c1", linewidth=_width(n, top), label=f"{n:,} returns by parcel")
        for n in _legend_steps(top)
    ]
    if onward:
        handles.append(
            Line2D([], [], color="#c0392b", linestyle="--", linewidth=2, label="line-haul onward")
        )
    handles += [
        Line2D([], [], marker=m, linestyle="", color=c, label=k.replace("_", " "))
        for k, (m, c) in _KIND_MARKERS.items()
    ]
    handles.append(Line2D([], [], marker="o", linestyle="", color="#bbb", label="not used"))
    fig.legend(
        handles=handles, loc="outside lower center", ncol=len(handles), fontsize=7.5, frameon=False
    )
    caption = (
        f"{variant}, optimized plan: returns from customer countries (grey dots, at the"
        " network's point for the country) to their first stop, line width by the number of"
        " returns"
    )
    caption += (
        ", and on by consolidated line-haul (red dashed)." if onward else "; no line-haul used."
    )
    caption += " Basemap: Natural Earth 1:110m countries (public domain)."
    return Chart(_svg(fig), f"Flow map: {variant}, optimized plan", caption)


def _extent(pts: Sequence[tuple[float, float]], pad: float) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    px = max(3.0, (max(xs) - min(xs)) * pad)
    py = max(2.5, (max(ys) - min(ys)) * pad * 1.5)
    return (
        max(-180.0, min(xs) - px),
        min(180.0, max(xs) + px),
        max(-85.0, min(ys) - py),
        min(85.0, max(ys) + py),
    )


def _within(box: tuple[float, float, float, float], x: float, y: float) -> bool:
    return box[0] <= x <= box[1] and box[2] <= y <= box[3]


def _width(n: int, top: int) -> float:
    return 0.6 + 6.0 * n / top


def _legend_steps(top: int) -> list[int]:
    nice = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
    below = [n for n in nice if n <= top]
    steps = sorted({below[-1] if below else top, max(1, top // 10)})
    return [n for n in steps if n <= top] or [top]


def _flow_view(
    ax: Axes,
    box: tuple[float, float, float, float],
    parcel: dict[tuple[str, str], int],
    onward: dict[tuple[str, str], int],
    top: int,
    facilities: Sequence[tuple[str, str, str, float, float]],
    used: set[str],
    region_at: dict[str, tuple[float, float]],
    countries: Sequence[str],
    labels_all: bool,
    skip: tuple[float, float, float, float] | None,
) -> None:
    """One view of the flow map on ``ax``; points inside ``skip`` (the close-up's box) are
    labelled in the close-up only."""
    x0, x1, y0, y1 = box
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / max(0.3, math.cos(math.radians((y0 + y1) / 2))))
    basemap.draw(ax, box)
    where = {fid: (lon, lat) for fid, _, _, lat, lon in facilities}
    for (c, fid), n in sorted(parcel.items(), key=lambda x: -x[1]):
        (a, b), (c2, d) = region_at[c], where[fid]
        ax.plot(
            [a, c2],
            [b, d],
            color="#2e86c1",
            alpha=0.55,
            linewidth=_width(n, top),
            solid_capstyle="round",
            zorder=2,
        )
    for (s, e), n in sorted(onward.items()):
        (a, b), (c2, d) = where[s], where[e]
        ax.plot(
            [a, c2], [b, d], "--", color="#c0392b", alpha=0.85, linewidth=_width(n, top), zorder=2.5
        )
    markers: list[tuple[float, float]] = []
    labels: list[basemap.Label] = []
    for fid, kind, _, lat, lon in sorted(facilities, key=lambda f: f[0] not in used):
        m, color = _KIND_MARKERS.get(kind, ("o", "#333"))
        active = fid in used
        ax.plot(
            lon,
            lat,
            m,
            color=color if active else "#bbb",
            markersize=8 if active else 5,
            markeredgecolor="white",
            markeredgewidth=0.6,
            zorder=4,
        )
        if _within(box, lon, lat) and not (skip and _within(skip, lon, lat)):
            markers.append((lon, lat))
            labels.append(
                basemap.Label(
                    fid,
                    lon,
                    lat,
                    color="#111" if active else "#888",
                    weight="bold" if active else "normal",
                )
            )
    for c in countries:
        x, y = region_at[c]
        ax.plot(x, y, "o", color="#555", markersize=3, zorder=3)
        markers.append((x, y))
        if labels_all:
            labels.append(basemap.Label(c, x, y, color="#444", size=7))
    basemap.place(ax, labels, markers)
    ax.set_xticks([])
    ax.set_yticks([])


def best_rule(policies: Sequence[PolicyKpis]) -> PolicyKpis:
    rules = [p for p in policies if p.policy != OPTIMIZED]
    return min(rules, key=lambda p: p.total_cost_minor)
