"""The answer a what-if report leads with: which variant and policy to take, what it saves
against the base network and against today's practice (local first on the base network), per
return and in total, what it does to CO2e and to days to refund, and the two or three findings
a planner must know, each written from the figures (never a canned sentence).

Findings come from three places: the returns the winning plan sends elsewhere than local first
does, explained by the cost terms that make the difference
(:class:`~routing.whatif.kpis.Diversion`); returns that travel to a facility farther from the
customers than the origin itself (the surprising flows on the map), explained the same way;
and the cheapest option that emits clearly less CO2e than the winner, with what each tonne
avoided would cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from routing.whatif.fmt import country, money, number
from routing.whatif.kpis import Diversion, PolicyKpis
from routing.whatif.policies import LABELS, LOCAL_FIRST, OPTIMIZED
from routing.whatif.runner import ScenarioResult, VariantResult
from routing.whatif.scenario import BASE

# credits: a negative delta means more of them (the plan recovers more)
_CREDITS = frozenset({"recovery_value", "duty_reclaim", "vat_reclaim"})
PROSE = {
    "parcel_carriage": "parcel carriage",
    "fuel_surcharge": "fuel surcharge",
    "carrier_fees": "carrier fees",
    "linehaul_share": "line-haul",
    "handling": "handling",
    "disposition_cost": "disposition cost",
    "duty_due": "import duty",
    "import_vat_due": "import VAT",
    "duty_reclaim": "duty reclaimed",
    "vat_reclaim": "VAT reclaimed",
    "recovery_value": "resale recovery",
    "refund_delay": "refund-delay cost",
    "resale_delay": "resale-delay cost",
    "co2e": "priced CO2e",
    "overflow": "overflow",
}
GREENER_SHARE = 0.2  # a "greener option" emits at least this share less CO2e than the winner
MAX_FINDINGS = 3
FARTHER_KM = 1000  # a "surprising" first stop is this much farther away than the origin
DIVERSIONS_SHOWN = 5  # per variant, in its section of the page


@dataclass(frozen=True, slots=True)
class Option:
    """One variant planned under one policy, as the headline quotes it."""

    variant: str
    policy: str
    label: str
    returns: int
    total_cost_minor: int
    per_return_cost_minor: float
    co2e_kg: float
    days_to_refund_p50: int
    days_to_refund_p90: int

    @classmethod
    def of(cls, variant: str, p: PolicyKpis) -> Option:
        return cls(
            variant=variant,
            policy=p.policy,
            label=LABELS[p.policy],
            returns=p.returns,
            total_cost_minor=p.total_cost_minor,
            per_return_cost_minor=round(p.per_return_cost_minor, 2),
            co2e_kg=round(p.co2e_g / 1000, 1),
            days_to_refund_p50=p.days_to_refund_p50,
            days_to_refund_p90=p.days_to_refund_p90,
        )


@dataclass(frozen=True, slots=True)
class Headline:
    """The winner, the two references it is measured against, and the findings (sentences)."""

    currency: str
    winner: Option
    base: Option  # the base network under the winner's policy
    today: Option  # the base network under local first: what platforms do today
    network: Option | None  # the winner's variant under local first (the network change alone)
    take: str  # "Take open_venlo_hub with reroute optimized"
    answer: str
    findings: tuple[str, ...]

    def saving_minor(self, against: Option) -> int:
        """What the winner saves against ``against`` in all (positive = cheaper)."""
        return against.total_cost_minor - self.winner.total_cost_minor

    def saving_per_return_minor(self, against: Option) -> float:
        return against.per_return_cost_minor - self.winner.per_return_cost_minor

    def to_dict(self) -> dict[str, object]:
        """``report.json``'s ``headline``: amounts in minor units of ``currency``."""
        return {
            "currency": self.currency,
            "take": self.take,
            "answer": self.answer,
            "winner": asdict(self.winner),
            "base": asdict(self.base),
            "today": asdict(self.today),
            "network_change_only": None if self.network is None else asdict(self.network),
            "saving_vs_base_minor": self.saving_minor(self.base),
            "saving_vs_base_per_return_minor": round(self.saving_per_return_minor(self.base)),
            "saving_vs_today_minor": self.saving_minor(self.today),
            "saving_vs_today_per_return_minor": round(self.saving_per_return_minor(self.today)),
            "co2e_change_vs_today_kg": round(self.winner.co2e_kg - self.today.co2e_kg, 1),
            "days_to_refund_p50_change_vs_today": self.winner.days_to_refund_p50
            - self.today.days_to_refund_p50,
            "days_to_refund_p90_change_vs_today": self.winner.days_to_refund_p90
            - self.today.days_to_refund_p90,
            "findings": list(self.findings),
        }


def headline(result: ScenarioResult) -> Headline | None:
    """The report's answer, or None for a result without the base variant."""
    base_variant = next((v for v in result.variants if v.name == BASE), None)
    if base_variant is None or not base_variant.policies:
        return None
    cur = base_variant.currency
    candidates = [(v, p) for v in result.variants for p in v.policies]
    # cheapest; on a tie the base (no change to make), the optimized plan (the diversions
    # explain it), then the fewest CO2e
    wv, wp = min(
        candidates,
        key=lambda x: (
            x[1].total_cost_minor,
            x[0].name != BASE,
            x[1].policy != OPTIMIZED,
            x[1].co2e_g,
        ),
    )
    winner = Option.of(wv.name, wp)
    base = Option.of(BASE, base_variant.policy(wp.policy))
    today = Option.of(BASE, base_variant.policy(LOCAL_FIRST))
    take = (
        f"Keep the base network and plan with {winner.label}"
        if winner.variant == BASE
        else f"Take {winner.variant} with {winner.label}"
    )
    network = Option.of(wv.name, wv.policy(LOCAL_FIRST))
    h = Headline(cur, winner, base, today, network, take, "", ())
    answer = _answer(h)
    findings: list[str] = []
    if wp.policy == OPTIMIZED and wv.diversions:
        findings.append(diversion_sentence(wv.diversions[0], wv, cur))
    far = _surprising(result.variants, wv)
    if far is not None and far[1] is not (wv.diversions[0] if wv.diversions else None):
        v, d = far
        elsewhere = [
            f"{x.returns} in {o.name}"
            for o in result.variants
            if o is not v
            for x in o.diversions
            if (x.destination, x.instead_of) == (d.destination, d.instead_of)
        ]
        if v is not wv:
            elsewhere.insert(0, f"in {v.name}")
        note = f" ({'; '.join(elsewhere)})" if elsewhere else ""
        findings.append(diversion_sentence(d, v, cur, prefix=f"Surprising flow{note}: "))
    greener = _greener(candidates, wp)
    if greener is not None:
        findings.append(_greener_sentence(winner, greener, cur))
    for d in wv.diversions[1:]:
        if len(findings) >= MAX_FINDINGS:
            break
        if far is None or d is not far[1]:
            findings.append(diversion_sentence(d, wv, cur))
    return Headline(cur, winner, base, today, network, take, answer, tuple(findings[:MAX_FINDINGS]))


def _answer(h: Headline) -> str:
    w, cur = h.winner, h.currency
    text = f"{h.take}: it " + _saving(
        h, h.today, "today's practice (local first on the base network)"
    )
    if w.variant != BASE and w.policy != LOCAL_FIRST and h.network is not None:
        # to the minor unit, so the two parts add up exactly
        network = h.today.total_cost_minor - h.network.total_cost_minor
        plan = h.network.total_cost_minor - w.total_cost_minor
        text += (
            f": {money(network, cur)} {cur} from the network change ({w.variant} under local"
            f" first) and {money(plan, cur)} {cur} from planning with {w.label}"
        )
    if w.variant != BASE:
        text += "; it " + _saving(h, h.base, f"the base network planned by {w.label}")
    co2 = w.co2e_kg - h.today.co2e_kg
    share = co2 / h.today.co2e_kg if h.today.co2e_kg else 0.0
    text += (
        f". CO2e {number(co2, signed=True)} kg ({number(100 * share, signed=True)} %)"
        f", days to refund p50/p90 {h.today.days_to_refund_p50}/{h.today.days_to_refund_p90}"
        f" → {w.days_to_refund_p50}/{w.days_to_refund_p90}."
    )
    return text


def _saving(h: Headline, against: Option, what: str) -> str:
    total, per = h.saving_minor(against), h.saving_per_return_minor(against)
    return (
        f"{'saves' if total >= 0 else 'costs'} {money(abs(total), h.currency, whole=True)}"
        f" {h.currency} ({money(abs(per), h.currency)} per return)"
        f"{'' if total >= 0 else ' more'} against {what}"
    )


def _place(facility: str, v: VariantResult) -> str:
    if not facility:
        return "a returnless refund"
    at = next((c for fid, _, c, _, _ in v.facility_points if fid == facility), "")
    return f"{facility} ({country(at)})" if at else facility


def _countries(d: Diversion) -> str:
    codes = [c for c, _ in d.countries]
    if len(codes) == 1:
        return country(codes[0])
    if len(codes) <= 4:
        return ", ".join(codes[:-1]) + " and " + codes[-1]
    return f"{', '.join(codes[:3])} and {len(codes) - 3} more countries"


def _word(t: str, delta: int) -> str:
    """ "more" or "less" of term ``t`` for a plan-minus-rule ``delta`` (credits are negative)."""
    return "more" if (delta < 0) == (t in _CREDITS) else "less"


def _term(t: str, delta: int, cur: str) -> str:
    return f"{money(abs(delta), cur, whole=True)} {cur} {_word(t, delta)} {PROSE.get(t, t)}"


def because(d: Diversion, cur: str) -> tuple[str, str]:
    """The cost terms that make the difference: the favourable ones that carry at least 80 %
    of the gain (two at most), and the unfavourable ones (the two largest named) when they add
    up to a tenth of the gain or more (else ``""``)."""
    gains = sorted((x for x in d.term_deltas_minor if x[1] < 0), key=lambda x: x[1])
    costs = sorted((x for x in d.term_deltas_minor if x[1] > 0), key=lambda x: -x[1])
    total_gain = -sum(v for _, v in gains)
    picked: list[tuple[str, int]] = []
    for t, v in gains:
        picked.append((t, v))
        if -sum(x for _, x in picked) >= 0.8 * total_gain or len(picked) == 2:
            break
    text = " and ".join(_term(t, v, cur) for t, v in picked) or "no single term"
    total_cost = sum(v for _, v in costs)
    if not costs or total_cost < 0.1 * max(1, total_gain):
        return text, ""
    if len(costs) == 1:
        return text, _term(*costs[0], cur)
    names = [f"{_word(t, v)} {PROSE.get(t, t)}" for t, v in costs[:2]]
    named = ", ".join(names) + " and others" if len(costs) > 2 else " and ".join(names)
    return text, f"{money(total_cost, cur, whole=True)} {cur} in {named}"


def _kinds(counts: tuple[tuple[str, int], ...]) -> str:
    top, n = counts[0]
    share = n / sum(k for _, k in counts)
    return ("" if share == 1 else "mostly " if share >= 0.5 else "some ") + top.replace("_", " ")


def _dispositions(d: Diversion) -> str:
    """``" (mostly refurbish there, resell local at rc_fr_paris)"``, or ``""`` when the
    dispositions are the same on both sides."""
    if not d.dispositions or not d.instead_dispositions:
        return ""
    if d.dispositions[0][0] == d.instead_dispositions[0][0]:
        return ""
    if not d.instead_of:  # a returnless refund has nowhere to name
        return f" ({_kinds(d.dispositions)} there)"
    if not d.destination:
        return f" ({_kinds(d.instead_dispositions)} at {d.instead_of})"
    return f" ({_kinds(d.dispositions)} there, {_kinds(d.instead_dispositions)} at {d.instead_of})"


def diversion_sentence(d: Diversion, v: VariantResult, cur: str, prefix: str = "") -> str:
    """``"227 returns from France go to hub_nl_venlo (Netherlands) instead of rc_fr_paris
    (France), where local first sends them: 12,783 EUR more resale recovery (...) outweighs
    3,410 EUR more handling, line-haul and others, saving 9,373 EUR (41.29 per return)."``"""
    net = -d.net_delta_minor
    gain, cost = because(d, cur)
    result = (
        f"saving {money(net, cur, whole=True)} {cur} ({money(net / d.returns, cur)} per return)"
        if net >= 0
        else f"costing {money(-net, cur, whole=True)} {cur} more"
    )
    why = (
        f"{gain}{_dispositions(d)} {'outweigh' if ' and ' in gain else 'outweighs'} {cost},"
        f" {result}"
        if cost
        else f"{gain}{_dispositions(d)}, {result}"
    )
    one = d.returns == 1
    go = (
        f"go{'es' if one else ''} to {_place(d.destination, v)}"
        if d.destination
        else f"get{'s' if one else ''} a returnless refund"
    )
    was = (
        f"{_place(d.instead_of, v)}, where local first sends {'it' if one else 'them'}"
        if d.instead_of
        else f"the returnless refund local first gives {'it' if one else 'them'}"
    )
    n = f"{d.returns} return{'' if one else 's'}"
    return f"{prefix}{n} from {_countries(d)} {go} instead of {was}: {why}."


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean Earth radius 6371 km) between (lat, lon) points."""
    (la1, lo1), (la2, lo2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _surprising(
    variants: Sequence[VariantResult], winner: VariantResult
) -> tuple[VariantResult, Diversion] | None:
    """The largest diversion (the winner's variant first) to a facility neither in a customer
    country nor the origin, and over ``FARTHER_KM`` farther from those customers (on average,
    great-circle) than the origin is."""
    found: list[tuple[int, int, VariantResult, Diversion]] = []
    for rank, v in enumerate(sorted(variants, key=lambda v: v is not winner)):
        at = {fid: (kind, c, (lat, lon)) for fid, kind, c, lat, lon in v.facility_points}
        regions = {c: (lat, lon) for c, lat, lon in v.region_points}
        origins = [x for x in at.values() if x[0] == "origin"]
        for d in v.diversions:
            dest = at.get(d.destination)
            if dest is None or dest[0] == "origin" or not origins:
                continue
            homes = [(regions[c], n) for c, n in d.countries if c in regions]
            if dest[1] in {c for c, _ in d.countries} or not homes:
                continue
            n = sum(k for _, k in homes)
            to_dest = sum(_km(p, dest[2]) * k for p, k in homes) / n
            to_origin = min(sum(_km(p, o[2]) * k for p, k in homes) / n for o in origins)
            if to_dest > to_origin + FARTHER_KM:
                found.append((rank, -d.returns, v, d))
    if not found:
        return None
    _, _, v, d = min(found, key=lambda x: (x[0], x[1]))
    return v, d


def _greener(
    candidates: Sequence[tuple[VariantResult, PolicyKpis]], winner: PolicyKpis
) -> tuple[str, PolicyKpis] | None:
    limit = (1 - GREENER_SHARE) * winner.co2e_g
    greener = [(v.name, p) for v, p in candidates if p.co2e_g <= limit]
    return min(greener, key=lambda x: x[1].total_cost_minor) if greener else None


def _greener_sentence(w: Option, g: tuple[str, PolicyKpis], cur: str) -> str:
    name, p = g
    extra = p.total_cost_minor - w.total_cost_minor
    kg = w.co2e_kg - p.co2e_g / 1000
    text = (
        f"Lower CO2e: {name} with {LABELS[p.policy]} emits {number(kg)} kg less CO2e"
        f" ({number(100 * kg / w.co2e_kg)} %) for {money(extra, cur, whole=True)} {cur} more"
        f" ({money(extra / max(1, p.returns), cur)} per return)"
    )
    if kg > 0:
        text += f", {money(extra / (kg / 1000), cur, whole=True)} {cur} per tonne avoided"
    return text + "."
