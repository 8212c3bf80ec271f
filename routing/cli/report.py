"""Readable text for a Decision: the chosen option, its breakdown, customs and alternatives."""

from __future__ import annotations

from customs.api import Assessment, Reclaim
from customs.fx import format_minor
from hubs.model import Disposition
from routing.decide.domain import Decision, Option, Term


def _money(amount_minor: int, currency: str) -> str:
    return format_minor(amount_minor, currency)


def _table(rows: list[list[str]], align_right: set[int]) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(widths[c]) if c in align_right else cell.ljust(widths[c])
            for c, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _borders(a: Assessment) -> str:
    """Which borders a crossing with a border has: "customs and VAT border", "customs border
    (no VAT border)", "VAT border (no customs border)"; "border" when not recorded."""
    if a.customs_border is None or a.vat_border is None:
        return "border"
    if a.customs_border and a.vat_border:
        return "customs and VAT border"
    if a.customs_border:
        return "customs border (no VAT border)"
    return "VAT border (no customs border)"


def _window(r: Reclaim) -> str:
    """When the goods must leave and the claim be filed, in words."""
    claim = f"claim by {r.deadline.isoformat()}"
    if r.export_by is None:
        return f"{claim} (no export window tabled)"
    return f"export by {r.export_by.isoformat()}, {claim}"


def _crossing_lines(c: Assessment, pad: str) -> list[str]:
    """A one-line summary of a crossing, and a line per reclaim route."""
    if not c.border:
        return [
            f"{pad}customs {c.export_country} -> {c.import_country}: no border"
            f" ({c.union or 'same country'})"
        ]
    docs = ", ".join(d.code for d in c.documents) or "none"
    lines = [
        f"{pad}customs {c.export_country} -> {c.import_country}: {_borders(c)}; duty "
        f"{_money(c.duty_due_minor, c.currency)}, VAT {_money(c.vat_due_minor, c.currency)}"
        + (f"; relief: {c.relief}" if c.relief else "")
        + f"; documents: {docs}; confidence {c.confidence.value}"
    ]
    for r in c.reclaims:
        lines.append(
            f"{pad}  reclaimable {_money(r.duty_minor + r.vat_minor, c.currency)}"
            f" via {r.route}, {_window(r)} ({r.claimant.value})" + (f": {r.note}" if r.note else "")
        )
    return lines


def format_assessment(a: Assessment) -> str:
    """The `reroute customs` table: outcome, amounts, reclaims, documents, rules and notes."""
    cur = a.currency
    lines = [
        f"crossing {a.export_country} -> {a.import_country}: "
        + (_borders(a) if a.border else "no border")
        + (f" (union: {a.union})" if a.union else "")
        + f"; confidence {a.confidence.value}"
    ]
    rows = [["", "amount"]]
    rows.append(["duty due", _money(a.duty_due_minor, cur)])
    rows.append(["import VAT due", _money(a.vat_due_minor, cur)])
    rows.append(["reclaimable", _money(a.reclaimable_minor, cur)])
    lines.extend("  " + line for line in _table(rows, {1}))
    if a.de_minimis:
        lines.append(f"  de minimis: {a.de_minimis}")
    if a.relief:
        lines.append(f"  relief: {a.relief}")
    if a.reclaims:
        lines.append("reclaim routes (in the export country):")
        for r in a.reclaims:
            lines.append(
                f"  {r.route}: duty {_money(r.duty_minor, cur)}, VAT {_money(r.vat_minor, cur)},"
                f" {_window(r)} ({r.claimant.value}); {r.rule.legal_basis}"
                f" [{', '.join(r.rule.source_ids)}]"
            )
            if r.note:
                lines.append(f"    {r.note}")
            lines.extend(f"    - {cond}" for cond in r.conditions)
    lines.append("documents:" if a.documents else "documents: none")
    lines.extend(f"  {d.code}: {d.name} ({d.reason})" for d in a.documents)
    lines.append("rules applied:")
    for rule in a.rules:
        until = rule.effective_to.isoformat() if rule.effective_to else "open"
        lines.append(
            f"  {rule.rule_id}: {rule.legal_basis} [{', '.join(rule.source_ids)}]"
            f" {rule.effective_from.isoformat()}..{until}, {rule.confidence.value}"
        )
    lines.extend(
        f"  fx: {f.amount_from_minor} {f.from_currency} -> {f.amount_to_minor} "
        f"{f.to_currency} at {f.rate} ({f.rate_date.isoformat()}, {f.source_id})"
        for f in a.fx
    )
    lines.extend(f"note: {n}" for n in a.notes)
    return "\n".join(lines)


def format_option_detail(option: Option, currency: str) -> list[str]:
    lines: list[str] = []
    for s in option.shipments:
        dest = s.destination_id or (
            "no shipment (returnless refund)"
            if all(a.disposition is Disposition.RETURNLESS for a in s.items)
            else f"no shipment (local disposal in {s.destination_country})"
        )
        lines.append(f"  shipment -> {dest} [{s.destination_kind.value}, {s.destination_country}]")
        for a in s.items:
            lines.append(
                f"    item {a.sku} x{a.quantity}: {a.disposition.value}, "
                f"recovers {_money(a.recovery_minor, currency)}"
            )
        for leg in s.legs:
            lines.append(
                f"    leg {leg.kind.value}: {leg.from_country} -> {leg.to_facility}"
                f" ({leg.to_country}) "
                f"by {leg.carrier}: {leg.service_name} [{leg.service_id}], {leg.distance_km} km, "
                f"{leg.transit_days} d, {leg.billable_weight_g} g billable, "
                f"{_money(leg.charge_minor, currency)}"
            )
        for c in s.customs:
            lines.extend(_crossing_lines(c, "    "))
    lines.append("  cost breakdown:")
    totals = option.totals()
    rows = [["term", "amount"]]
    for term in Term:
        if totals.get(term):
            rows.append([term.value, _money(totals[term], currency)])
    rows.append(["net cost", _money(option.net_cost_minor, currency)])
    lines.extend("    " + line for line in _table(rows, {1}))
    return lines


def format_decision(decision: Decision) -> str:
    cur = decision.currency
    c = decision.chosen
    resale = "-" if c.days_to_resale is None else str(c.days_to_resale)
    lines = [
        f"decision {decision.decision_id}  (network {decision.network_name},"
        f" {decision.return_date.isoformat()},"
        f" {decision.options_evaluated} options evaluated)",
        f"CHOSEN: {c.label}",
        f"  net cost {_money(c.net_cost_minor, cur)}; {c.days_to_refund} d to refund;"
        f" {resale} d to resale;"
        f" {c.co2e_g / 1000:.2f} kg CO2e",
        f"  reasons: {', '.join(c.reason_codes)}",
    ]
    lines.extend(format_option_detail(c, cur))
    if decision.alternatives:
        lines.append("")
        lines.append("ALTERNATIVES (cheapest first):")
        rows = [["#", "option", "net cost", "vs chosen", "refund d", "resale d", "kg CO2e"]]
        for n, alt in enumerate(decision.alternatives, 1):
            rows.append(
                [
                    str(n),
                    alt.label,
                    _money(alt.net_cost_minor, cur),
                    "+" + _money(alt.net_cost_minor - c.net_cost_minor, cur),
                    str(alt.days_to_refund),
                    "-" if alt.days_to_resale is None else str(alt.days_to_resale),
                    f"{alt.co2e_g / 1000:.2f}",
                ]
            )
        lines.extend(_table(rows, {0, 2, 3, 4, 5, 6}))
    lines.extend(format_exclusions(decision))
    return "\n".join(lines)


def format_exclusions(decision: Decision) -> list[str]:
    """The options dropped as infeasible, one line per reason and what failed it, the
    options it dropped listed after it (a compact list: many routes share one cause)."""
    if not decision.excluded:
        return []
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for x in decision.excluded:
        grouped.setdefault((x.reason, x.subject, x.description), []).append(x.option)
    lines = ["", f"EXCLUDED ({len(decision.excluded)} options):"]
    for (reason, subject, description), options in grouped.items():
        lines.append(f"  {reason} {subject}: {description}")
        lines.append(f"    {', '.join(options)}")
    return lines


def format_explanation(
    stored: Decision, replayed: Decision, differences: list[tuple[str, str, str]], truncated: bool
) -> str:
    """`reroute explain`: the stored decision in one line, the versions, and what changed."""
    cur = stored.currency
    lines = [
        f"decision {stored.decision_id} replayed (network {replayed.network_name},"
        f" {stored.return_date.isoformat()})",
        f"  stored:   {stored.chosen.label}  {_money(stored.chosen.net_cost_minor, cur)}",
        f"  replayed: {replayed.chosen.label}  {_money(replayed.chosen.net_cost_minor, cur)}",
        f"  network {_short(stored.network_version)} -> {_short(replayed.network_version)};"
        f" rules {_short(stored.rules_version)} -> {_short(replayed.rules_version)}",
    ]
    if not differences:
        lines.append("IDENTICAL: the same decision today (no field differs)")
        return "\n".join(lines)
    lines.append(f"DIFFERENCES ({len(differences)}{'+, list cut' if truncated else ''}):")
    rows = [["field", "stored", "replayed"]]
    rows.extend([path, old or "-", new or "-"] for path, old, new in differences)
    lines.extend("  " + line for line in _table(rows, set()))
    return "\n".join(lines)


def _short(version: str) -> str:
    return version[:12] if version else "(unknown)"
