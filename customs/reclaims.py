"""Reclaims in the export country: the duty and VAT paid on the original import that can be
recovered now that the goods leave again, by which route and by when.

For ``Crossing.original_import``, every reclaim route of the export side's customs area is tested
in two stages: what rules a route out whatever the dates and amounts (not offered, channel, a
customs exit it needs, reason, unaltered goods; worked out once per key, :class:`Routes`), then
its time limits (goods to leave within a period of import; the claim deadline), value limit and
minimum claim. Of the customs routes that hold, the one returning the most money (then the latest
deadline) is offered and the others are noted; when VAT was collected at checkout, the seller's
own VAT-return route is offered beside it. Amounts are shares (basis points) of what was paid,
converted at the assessment date's rate.

``CustomsEngine.amounts`` only needs the sums: :meth:`Reclaims.reclaimed_at` memoizes them on a
request's amounts, so its crossings (which differ only by channel and exit) share the work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import NamedTuple

from customs.api import Channel, Crossing, ImportRecord, Reclaim, ReturnReason
from customs.borders import Lane
from customs.fx import FxTable
from customs.load import RuleBook
from customs.memo import AMOUNT_MEMO_SIZE, Memoized, memo
from customs.rows import ClaimFrom, Exit, ReclaimRow, apply_bp, group, in_force
from customs.trace import Call, Quiet
from customs.validate import Line

__all__ = ["Offer", "Reclaims", "Route", "Routes"]


class Route(NamedTuple):
    """A reclaim row as a crossing meets it before dates and amounts (memoized per export
    regime, assessment date, channel, border, reason and unaltered goods)."""

    row: ReclaimRow
    out: str  # the note when the route cannot apply to the crossing; "" when it may


class Routes(NamedTuple):
    customs: tuple[Route, ...]  # customs routes, in table order
    checkout: tuple[Route, ...]  # the seller's routes for VAT collected at checkout


class Offer(NamedTuple):
    row: ReclaimRow
    reclaim: Reclaim
    claim_minor: int  # duty + VAT recovered, in the currency it was paid in


class Reclaims(Memoized):
    """The reclaim routes by export regime (indexed once). Memos: ``_routes_at`` and
    ``_time_limits_at`` (keyed on codes and dates), ``reclaimed_at`` (keyed on amounts too)."""

    _MEMOS = ("_routes_at", "_time_limits_at", "reclaimed_at")

    def __init__(self, rules: RuleBook, fx: FxTable) -> None:
        self.fx = fx
        self._reclaim_rows = group(rules.reclaims, lambda r: r.regime)
        self._reclaims_by_id = {row.rule.rule_id: row for row in rules.reclaims}
        self._memoize()

    def _memoize(self) -> None:
        self._routes_at = memo(self._routes)
        self._time_limits_at = memo(self._time_limits)
        self.reclaimed_at = memo(self.reclaimed, AMOUNT_MEMO_SIZE)

    def of_crossing(
        self,
        crossing: Crossing,
        lane: Lane,
        lines: tuple[Line, ...],
        totals: Mapping[str, int],
        call: Call,
    ) -> list[Offer]:
        """The best customs route plus, for VAT collected at checkout, the seller's route."""
        record = crossing.original_import
        if record is None:
            return []
        return self.offers(
            record,
            lane.exp.regime,
            crossing.channel,
            lane.exits,
            crossing.reason,
            all(ln.unaltered for ln in lines),
            totals,
            call,
        )

    def reclaimed(
        self,
        record: ImportRecord,
        regime: str,
        channel: Channel,
        exits: bool,
        reason: ReturnReason,
        unaltered: bool,
        totals: tuple[tuple[str, int], ...],
        on: date,
        currency: str,
    ) -> tuple[int, int]:
        """(duty, VAT) of ``offers`` summed (memoized as ``reclaimed_at``: the crossings of one
        request share all of these but the channel and the exit)."""
        call = Quiet(self.fx, currency, on, {})
        duty = vat = 0
        offers = self.offers(record, regime, channel, exits, reason, unaltered, dict(totals), call)
        for offer in offers:
            duty += offer.reclaim.duty_minor
            vat += offer.reclaim.vat_minor
        return duty, vat

    def offers(
        self,
        record: ImportRecord,
        regime: str,  # of the export side
        channel: Channel,
        exits: bool,  # the goods leave the export side's customs territory
        reason: ReturnReason,
        unaltered: bool,  # every item is unaltered
        totals: Mapping[str, int],
        call: Call,
    ) -> list[Offer]:
        """The routes offered for ``record``, best customs route first."""
        routes = self._routes_at(regime, call.on, channel, exits, reason, unaltered)
        if not routes.customs and not routes.checkout:
            call.note(f"no reclaim routes in the tables for {regime}")
            return []
        found = [self._offer(route, record, totals, call) for route in routes.customs]
        candidates = [offer for offer in found if offer is not None]
        offers: list[Offer] = []
        if candidates:
            best = candidates[0]
            if len(candidates) > 1:
                best = max(candidates, key=lambda o: (o.claim_minor, o.reclaim.deadline))
            offers.append(best)
            for other in candidates:
                if other is not best:
                    call.note(
                        f"alternative reclaim route (not counted): {other.row.route}, "
                        f"by {other.reclaim.deadline}"
                    )
        if record.vat_collected_at_checkout:
            if not routes.checkout:
                call.note(
                    f"VAT was collected at checkout but {regime} has no seller VAT route "
                    "in the tables"
                )
            for route in routes.checkout:
                offer = self._offer(route, record, totals, call)
                if offer is not None:
                    offers.append(offer)
        for offer in offers:
            call.cite(offer.row.rule)
        return offers

    def _offer(
        self, route: Route, record: ImportRecord, totals: Mapping[str, int], call: Call
    ) -> Offer | None:
        row = route.row
        if route.out:
            if not row.offered:
                call.cite(row.rule)
            call.note(route.out)
            return None
        blocker, deadline, export_by = self._time_limits_at(
            row.rule.rule_id, record.import_date, call.on
        )
        if not blocker and row.value_limit is not None:
            within, value = call.test(row.value_limit, totals)
            if not within:
                blocker = f"consignment {call.account(row.value_limit, value, within)}"
        if blocker:
            call.note(f"reclaim route not applicable: {row.route}: {blocker}")
            return None
        vat_paid = (
            0
            if record.vat_collected_at_checkout and not row.checkout_vat
            else record.vat_paid_minor
        )
        duty, vat = (
            apply_bp(record.duty_paid_minor, row.duty_share_bp),
            apply_bp(vat_paid, row.vat_share_bp),
        )
        note = "" if duty + vat else _nothing_to_recover(row, record)
        if duty + vat and row.min_claim is not None:
            enough, value = call.test(row.min_claim, {record.currency: duty + vat})
            if not enough:
                account = call.account(row.min_claim, value, enough)
                call.note(f"reclaim route not applicable: {row.route}: claim {account}")
                return None
        reclaim = Reclaim(
            row.route,
            call.convert(duty, record.currency, call.currency),  # duty_minor
            call.convert(vat, record.currency, call.currency),  # vat_minor
            deadline,
            row.claimant,
            row.conditions,
            row.documents,
            row.rule,
            export_by,
            note,
        )
        return Offer(row, reclaim, duty + vat)

    def _routes(
        self,
        regime: str,
        on: date,
        channel: Channel,
        customs: bool,  # the goods leave the regime's customs territory
        reason: ReturnReason,
        unaltered: bool,  # every item is unaltered
    ) -> Routes:
        """The reclaim rows of ``regime`` in force, each with what rules it out for a crossing
        whatever the dates and amounts."""
        routes = [
            Route(row, _out(row, channel, customs, reason, unaltered))
            for row in self._reclaim_rows.get(regime, ())
            if in_force(row.rule, on)
        ]
        return Routes(
            tuple(r for r in routes if not r.row.checkout_vat),
            tuple(r for r in routes if r.row.checkout_vat),
        )

    def _time_limits(
        self, rule_id: str, import_date: date, on: date
    ) -> tuple[str, date, date | None]:
        """Why a reclaim route's time limits rule it out on ``on`` ("" when they do not), its
        claim deadline and the last day of its export window (None: none tabled). Memoized: a
        miss costs no more than the arithmetic, and every crossing of a request (and every
        return imported the same day) shares the dates."""
        row = self._reclaims_by_id[rule_id]
        leave_by = None if row.export_within is None else row.export_within.after(import_date)
        if leave_by is not None and on > leave_by:
            why = f"the goods had to leave by {leave_by} ({row.export_within} after import)"
            return why, on, leave_by
        deadline = row.deadline(import_date, on)
        if row.claim_from is ClaimFrom.IMPORT:  # the export comes before the claim
            leave_by = deadline if leave_by is None else min(leave_by, deadline)
        if on > deadline:
            return f"the deadline {deadline} has passed", deadline, leave_by
        return "", deadline, leave_by


def _nothing_to_recover(row: ReclaimRow, record: ImportRecord) -> str:
    """Why an eligible route recovers nothing from ``record`` (it is listed with amount 0)."""
    why = []
    if row.duty_share_bp:
        why.append("no duty was paid on the import")
    if row.vat_share_bp and record.vat_collected_at_checkout and not row.checkout_vat:
        why.append("the VAT was collected at checkout (the seller's route repays it)")
    elif row.vat_share_bp:
        why.append("no VAT was paid on the import")
    return "nothing to recover today: " + ("; ".join(why) or "the route repays no duty or VAT")


def _out(
    row: ReclaimRow, channel: Channel, customs: bool, reason: ReturnReason, unaltered: bool
) -> str:
    """The note when the route cannot apply to the crossing whatever the dates, or ""."""
    if not row.offered:
        return f"reclaim route not offered: {row.route} ({row.note or row.rule.legal_basis})"
    if row.channels and channel not in row.channels:
        blocker = f"channel {channel.value} not covered"
    elif row.exit is Exit.CUSTOMS and not customs:
        blocker = "the goods do not leave the customs territory"
    elif reason not in row.reasons:
        blocker = f"reason {reason.value} does not qualify"
    elif row.requires_unaltered and not unaltered:
        blocker = "every item must be unaltered"
    else:
        return ""
    return f"reclaim route not applicable: {row.route}: {blocker}"
