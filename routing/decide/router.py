"""The decision engine: options for one return, costed, the cheapest feasible one chosen.

Flow: candidate routes (precomputed per customer country and origin) x the return's units
-> one costed Shipment per route (or the reason it is infeasible) -> returnless refund and
local disposal as more options -> SLA filter -> least net cost. Multi-item returns also get a
split option from a small CP-SAT model (``routing.decide.split``) when that is cheaper.

The merchant policy on the request (``Return.policy``) overrides the network's defaults: the
keep-it and local-disposal caps, the refund trigger (days to refund count to it, SLAs are
checked against it) and the loss guard: when even the chosen option costs more than
``max_loss_bp`` of the goods' value, the decision says so (reason code
``LOSS_OVER_THRESHOLD:<threshold>``, and ``CHEAPEST_EXCLUDED:...`` naming the cheapest
option excluded, read back as ``Decision.loss_guard``).
"""

from __future__ import annotations

import bisect
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import NamedTuple

from customs.api import CustomsAssessor, CustomsError
from customs.engine import CustomsEngine
from customs.fx import FxTable
from hubs.model import Disposition, Facility, FacilityKind, Network
from routing.decide.base_costs import BaseNumbers, base_numbers
from routing.decide.compiled import (
    CompiledNetwork,
    FxConverter,
    Route,
    refund_days,
    with_observed_fill,
)
from routing.decide.costing import Evaluation, add_customs, base_evaluation, evaluate_base
from routing.decide.customs_terms import customs_net_minor, route_customs_charges
from routing.decide.domain import (
    Decision,
    DestinationKind,
    Exclusion,
    ItemAllocation,
    LossGuard,
    Option,
    Return,
    Shipment,
)
from routing.decide.parcels import Context, Parcel, Unit, parcel
from routing.decide.replay import content_hash
from routing.decide.shipments import (
    LOCAL_KEY,
    RETURNLESS_NET_MINOR,
    build,
    local_disposal,
    returnless,
    returnless_violation,
)
from routing.decide.split import best_split
from routing.errors import FieldViolation, InvalidInput, NoFeasibleOption, PreconditionViolation


class Router:
    """Routes returns on one network. Thread-safe: holds only read-only precomputed tables."""

    def __init__(
        self, network: Network, customs: CustomsAssessor, fx: FxConverter, *, compiled_on: date
    ) -> None:
        self.network = network
        self.customs = customs
        self.fx = fx
        self.compiled = CompiledNetwork(network, fx, on=compiled_on)
        # what a decision is made with, so it can be replayed (``routing.decide.replay``)
        self.network_version = content_hash(network)
        self.rules_version = _rules_version(customs, fx)

    def _context(self, ret: Return) -> tuple[Facility, list[Unit], Context, Parcel]:
        origin = self.network.facilities.get(ret.origin_facility_id)
        if origin is None or origin.kind is not FacilityKind.ORIGIN:
            known = sorted(
                k for k, f in self.network.facilities.items() if f.kind is FacilityKind.ORIGIN
            )
            raise InvalidInput.one(
                "customer_return.origin_facility_id",
                f"unknown origin facility {ret.origin_facility_id[:64]!r};"
                f" known: {', '.join(known)}",
            )
        units = self._units(ret)
        policy = self.network.policy
        mp = ret.policy
        keep_it = (
            policy.returnless_max_value_minor
            if mp.keep_it_max_value_minor is None
            else self._policy_amount(mp.keep_it_max_value_minor, mp.currency, ret, "keep_it")
        )
        local_cap = (
            policy.local_disposal_max_value_minor
            if mp.local_disposal_max_value_minor is None
            else self._policy_amount(
                mp.local_disposal_max_value_minor, mp.currency, ret, "local_disposal"
            )
        )
        ctx = Context(
            ret=ret,
            currency=self.network.currency,
            goods_origin_country=origin.country,
            policy=self.network.policy,
            customs=self.customs,
            value_base_minor=sum(u.value_base_minor * u.quantity for u in units),
            origin_area=self.customs.customs_area(
                origin.country, origin.territory, ret.return_date
            ),
            assessments={},
            amounts={},
            areas={},
            trigger=mp.refund_trigger or policy.refund_trigger,
            keep_it_cap_minor=keep_it,
            local_cap_minor=local_cap,
            max_loss_bp=policy.max_loss_bp if mp.max_loss_bp is None else mp.max_loss_bp,
            allow_local=mp.allow_local_disposal,
        )
        return origin, units, ctx, parcel(ctx, units)

    def _policy_amount(self, amount_minor: int, currency: str, ret: Return, name: str) -> int:
        """A cap of the merchant policy in the network's base currency on the return date."""
        try:
            got = self.fx.convert(amount_minor, currency, self.network.currency, ret.return_date)
        except CustomsError as exc:
            raise InvalidInput.one(
                f"customer_return.merchant_policy.{name}_max_unit_value.currency", exc.reason
            ) from exc
        return got.amount_to_minor

    def plan_choices(self, ret: Return) -> tuple[PlanChoice, ...]:
        """Every feasible whole-return option, costed exactly as RouteReturn costs it, for the
        batch planner. The line-haul share is left out of ``cost_minor``: a plan prices its
        dispatches itself. Raises InvalidInput for a bad return; may return ``()``."""
        origin, units, ctx, whole = self._context(ret)
        limit = ret.constraints.max_days_to_refund
        n_units = whole.n_units
        out: list[PlanChoice] = []
        try:
            trigger = ctx.trigger
            for route in self.compiled.routes(ret.customer_country, origin.id):
                days = refund_days(route, trigger)
                if limit is not None and days > limit:
                    continue  # (evaluate_base would only find a violation or the same days)
                got = base_numbers(ctx, route, whole, 10_000)
                if isinstance(got, PreconditionViolation):
                    continue
                charges = customs_net_minor(ctx, route, whole)
                if isinstance(charges, PreconditionViolation):
                    continue
                lane = route.lane
                share = route.lane_share_per_unit_minor * n_units if lane is not None else 0
                out.append(
                    PlanChoice(
                        route.key,
                        got.net_cost_minor + charges - share,
                        route.first_stop.id,
                        lane.id if lane is not None else None,
                        n_units,
                        days,
                    )
                )
            if ret.constraints.allow_returnless and returnless_violation(ctx, units) is None:
                out.append(PlanChoice("returnless", RETURNLESS_NET_MINOR, None, None, n_units, 0))
            if ctx.allow_local:
                local = local_disposal(ctx, self.compiled.local, units)
                if not isinstance(local, PreconditionViolation) and (
                    limit is None or local.days_to_refund <= limit
                ):
                    out.append(
                        PlanChoice(
                            LOCAL_KEY,
                            local.net_cost_minor,
                            None,
                            None,
                            n_units,
                            local.days_to_refund,
                        )
                    )
        except CustomsError as exc:
            raise _on_the_return(exc) from exc
        return tuple(out)

    def loss_threshold_minor(self, ret: Return) -> int:
        """The most an option for ``ret`` may cost before the loss guard flags it: the merchant
        policy's ``max_loss_bp`` (or the network's) of the goods' value, base currency."""
        bp = (
            self.network.policy.max_loss_bp
            if ret.policy.max_loss_bp is None
            else ret.policy.max_loss_bp
        )
        value = sum(u.value_base_minor * u.quantity for u in self._units(ret))
        return value * bp // 10_000

    def shipment(self, ret: Return, key: str) -> Shipment:
        """The fully explained shipment of one whole-return option (a route key of
        :meth:`plan_choices`, or "returnless"), e.g. to report a plan term by term. Raises
        InvalidInput for a bad return or an unknown key, NoFeasibleOption when the option
        is not feasible for this return."""
        origin, units, ctx, whole = self._context(ret)
        try:
            if key == "returnless":
                made: Shipment | PreconditionViolation = returnless(ctx, units)
            elif key == LOCAL_KEY:
                made = local_disposal(ctx, self.compiled.local, units)
            else:
                routes = self.compiled.routes(ret.customer_country, origin.id)
                route = next((r for r in routes if r.key == key), None)
                if route is None:
                    raise InvalidInput.one(
                        "key", f"no route {key[:80]!r} from {ret.customer_country} to {origin.id}"
                    )
                got = evaluate_base(ctx, route, whole, 10_000)
                if not isinstance(got, PreconditionViolation):
                    got = add_customs(ctx, got)
                made = got if isinstance(got, PreconditionViolation) else build(ctx, got)
        except CustomsError as exc:
            raise _on_the_return(exc) from exc
        if isinstance(made, PreconditionViolation):
            raise NoFeasibleOption([made])
        return made

    def route(
        self,
        ret: Return,
        *,
        time_limit_s: float | None = None,
        full_facilities: frozenset[str] = frozenset(),
        observed_units: Mapping[str, int] | None = None,
    ) -> Decision:
        """Decide one return. ``time_limit_s`` bounds the split model (0 = no split).

        ``observed_units``: units received per facility on the routing day so far (the server's
        capacity holds); a line-haul from a facility whose day promises a fuller dispatch than
        the lane's planning fill is priced on that fill (``with_observed_fill``).

        ``full_facilities``: facilities whose capacity on the routing day cannot take this return; a
        route received there is excluded (violation CAPACITY_FULL, and the chosen option
        carries the reason code ``CAPACITY_FULL:<facility id>`` for each one it skipped)."""
        origin, units, ctx, whole = self._context(ret)
        skipped: set[str] = set()
        routes = self.compiled.routes(ret.customer_country, origin.id)
        if observed_units:
            routes = tuple(
                with_observed_fill(r, observed_units.get(r.first_stop.id, 0))
                if r.lane is not None
                else r
                for r in routes
            )
        violations: list[PreconditionViolation] = []
        dropped: list[Exclusion] = []  # every option dropped, by route key, with why
        if not routes:
            violations.append(
                PreconditionViolation(
                    "NO_CARRIER_ON_LANE",
                    f"lane:{ret.customer_country}->{origin.id}",
                    f"no carrier service picks up in {ret.customer_country} for any destination",
                )
            )
        limit = ret.constraints.max_days_to_refund
        want = 1 + ret.constraints.max_alternatives
        try:
            # 1. every route's numbers without customs (cheap, no Evaluation made); customs can
            #    lower a route's cost by at most what was paid at import, which gives a lower
            #    bound per route
            bases: list[tuple[tuple[int, int, str], Route, BaseNumbers]] = []
            for route in routes:
                if route.first_stop.id in full_facilities:
                    skipped.add(route.first_stop.id)
                    violations.append(_drop(dropped, route.key, _full(route.first_stop.id, ret)))
                    continue
                got = base_numbers(ctx, route, whole, 10_000)
                if isinstance(got, PreconditionViolation):
                    violations.append(_drop(dropped, route.key, got))
                elif limit is not None and got.days_to_refund > limit:
                    violation = _sla(route.destination.id, got.days_to_refund, limit)
                    violations.append(_drop(dropped, route.key, violation))
                else:
                    bases.append(((got.net_cost_minor, got.days_to_refund, route.key), route, got))
            bases.sort(key=lambda b: b[0])  # (stable: as sorting the evaluations by ``_key``)
            # 2. the exact pool: returnless, then routes with customs added in bound order,
            #    until no remaining route can enter the ``want`` cheapest
            pool: list[tuple[tuple[int, int, str], Evaluation | Shipment]] = []
            excluded: list[tuple[Shipment, PreconditionViolation]] = []  # for the loss guard
            kept = returnless(ctx, units)
            if not ret.constraints.allow_returnless:
                excluded.append((_as_returnless(units), _not_allowed("returnless refund")))
            elif isinstance(kept, PreconditionViolation):
                violations.append(_drop(dropped, "returnless", kept))
                excluded.append((_as_returnless(units), kept))
            else:
                pool.append(((kept.net_cost_minor, 0, "returnless"), kept))
            local = local_disposal(ctx, self.compiled.local, units)
            if not isinstance(local, PreconditionViolation):
                local_days = local.days_to_refund
                if not ctx.allow_local:
                    violation = _not_allowed("local disposal")
                    violations.append(_drop(dropped, LOCAL_KEY, violation))
                    excluded.append((local, violation))
                elif limit is not None and local_days > limit:
                    violation = _sla(f"local:{ret.customer_country}", local_days, limit)
                    violations.append(_drop(dropped, LOCAL_KEY, violation))
                    excluded.append((local, violation))
                else:
                    bisect.insort(
                        pool,
                        ((local.net_cost_minor, local_days, LOCAL_KEY), local),
                        key=lambda p: p[0],
                    )
            elif self.compiled.local is not None:
                violations.append(_drop(dropped, LOCAL_KEY, local))
            slack = self._max_reclaim(ret)
            exact: list[Evaluation] = []
            for (net, _, _), route, numbers in bases:
                if len(pool) >= want and net - slack > pool[want - 1][0][0]:
                    break  # this and every later route cost more than the ``want`` cheapest
                # (as ``add_customs`` of ``evaluate_base``, one Evaluation made)
                charges = route_customs_charges(ctx, route, whole)
                if isinstance(charges, PreconditionViolation):
                    violations.append(_drop(dropped, route.key, charges))
                    continue
                full = base_evaluation(route, whole, 10_000, numbers, charges)
                exact.append(full)
                bisect.insort(pool, (_key(full), full), key=lambda p: p[0])
            split = self._split(ctx, ret, units, exact, time_limit_s)
            # 3. full shipments only for what the answer returns
            options = [self._option(ctx, x) for _, x in pool[:want]]
        except CustomsError as exc:  # a valid ISO currency without FX, a date before every rule
            raise _on_the_return(exc) from exc
        if not options:
            raise NoFeasibleOption(_dedupe(violations))
        if split is not None and split.net_cost_minor < options[0].net_cost_minor:
            options.insert(0, split)
            options = options[: 1 + ret.constraints.max_alternatives]
        chosen = options[0]
        capacity_codes = tuple(f"CAPACITY_FULL:{f}" for f in sorted(skipped))
        guard = _loss_guard(ctx, chosen, excluded)
        guard_codes = guard.reason_codes() if guard is not None else ()
        chosen = Option(
            chosen.shipments,
            (*chosen.reason_codes, "LEAST_NET_COST", *capacity_codes, *guard_codes),
        )
        assert guard is None or chosen.net_cost_minor == guard.loss_minor
        return Decision(
            decision_id=uuid.uuid4().hex,
            idempotency_key=ret.idempotency_key,
            currency=self.network.currency,
            chosen=chosen,
            alternatives=tuple(options[1:]),
            options_evaluated=len(bases) + len(pool) - len(exact) + (split is not None),
            network_name=self.network.name,
            return_date=ret.return_date,
            excluded=tuple(dropped),
            network_version=self.network_version,
            rules_version=self.rules_version,
            request=ret,
        )

    def _split(
        self,
        ctx: Context,
        ret: Return,
        units: list[Unit],
        evaluations: list[Evaluation],
        time_limit_s: float | None,
    ) -> Option | None:
        may_split = len(units) > 1 or any(u.quantity > 1 for u in units)
        if not (ret.constraints.allow_split and may_split) or time_limit_s == 0:
            return None
        return best_split(
            ctx,
            evaluations,
            units,
            allow_returnless=ret.constraints.allow_returnless,
            time_limit_s=time_limit_s,
            local=self.compiled.local if ctx.allow_local else None,
        )

    @staticmethod
    def _option(ctx: Context, x: Evaluation | Shipment) -> Option:
        shipment = x if isinstance(x, Shipment) else build(ctx, x)
        return Option((shipment,), _reasons(shipment))

    def _max_reclaim(self, ret: Return) -> int:
        """An upper bound of any reclaim in base currency: all that was paid, plus rounding."""
        paid = ret.duty_paid_minor + ret.vat_paid_minor
        if paid == 0:
            return 0
        try:
            got = self.fx.convert(paid, ret.paid_currency, self.network.currency, ret.return_date)
        except CustomsError as exc:
            raise InvalidInput.one(
                "customer_return.original_import.duty_paid.currency", exc.reason
            ) from exc
        return got.amount_to_minor + 10

    def _units(self, ret: Return) -> list[Unit]:
        units = []
        for i, item in enumerate(ret.items):
            try:
                value = self.fx.convert(
                    item.value_minor, item.currency, self.network.currency, ret.return_date
                )
            except CustomsError as exc:
                raise InvalidInput.one(
                    f"customer_return.items[{i}].declared_value.currency", exc.reason
                ) from exc
            units.append(Unit(i, item, item.quantity, value.amount_to_minor))
        return units


class PlanChoice(NamedTuple):
    """One whole-return option as the batch planner sees it (a named tuple: a batch makes
    millions of them, and they travel back from option workers by pickle)."""

    key: str  # the route key ("service:first_stop[>lane]") or "returnless"
    cost_minor: int  # net cost without the line-haul dispatch share, base currency
    facility_id: str | None  # where the return uses capacity (its first stop)
    lane_id: str | None  # the consolidated lane it rides, if any
    units: int
    days_to_refund: int


def _loss_guard(
    ctx: Context, chosen: Option, excluded: list[tuple[Shipment, PreconditionViolation]]
) -> LossGuard | None:
    """The loss guard: the chosen option costs more than ``max_loss_bp`` of the goods' value;
    with the cheapest option excluded by policy or a limit (returnless over its cap, local
    disposal not allowed or over the SLA), when one was."""
    value = ctx.value_base_minor
    threshold = value * ctx.max_loss_bp // 10_000
    loss = chosen.net_cost_minor
    if loss <= threshold:
        return None
    cheapest = min(excluded, key=lambda x: x[0].net_cost_minor, default=None)
    if cheapest is None or cheapest[0].net_cost_minor >= loss:
        return LossGuard(loss, threshold)
    shipment, why = cheapest
    return LossGuard(
        loss_minor=loss,
        threshold_minor=threshold,
        excluded_label=Option((shipment,)).label,
        excluded_net_cost_minor=shipment.net_cost_minor,
        excluded_because=why.type,
    )


def _as_returnless(units: list[Unit]) -> Shipment:
    """The returnless refund of ``units`` whatever the cap (to name it when excluded)."""
    return Shipment(
        destination_id="",
        destination_kind=DestinationKind.NONE,
        destination_country="",
        items=tuple(
            ItemAllocation(u.item.sku, u.quantity, Disposition.RETURNLESS, 0) for u in units
        ),
        legs=(),
        terms=(),
        customs=(),
        days_to_refund=0,
        days_to_resale=None,
        co2e_g=0,
    )


def _not_allowed(what: str) -> PreconditionViolation:
    return PreconditionViolation(
        "NOT_ALLOWED_BY_POLICY", "customer_return", f"{what} is not allowed for this return"
    )


def _key(e: Evaluation) -> tuple[int, int, str]:
    return (e.net_cost_minor, e.days_to_refund, e.route.key)


def _drop(dropped: list[Exclusion], option: str, v: PreconditionViolation) -> PreconditionViolation:
    """Note ``option`` as excluded for ``v`` (and hand ``v`` on)."""
    dropped.append(Exclusion(option, v.type, v.subject, v.description))
    return v


def _rules_version(customs: CustomsAssessor, fx: FxConverter) -> str:
    """The content hash of the customs tables and FX rates ("" for an assessor that is not
    the customs engine, e.g. a test fake: its rules have no version)."""
    if not isinstance(customs, CustomsEngine):
        return ""
    rates = fx.rates if isinstance(fx, FxTable) else ()
    return content_hash(customs.rulebook, customs.fx.rates, rates)


def _full(facility: str, ret: Return) -> PreconditionViolation:
    return PreconditionViolation(
        "CAPACITY_FULL",
        f"facility:{facility}",
        f"its intake capacity left on {ret.return_date} cannot take this return's"
        f" {ret.units} units",
    )


def _sla(destination: str, days: int, limit: int) -> PreconditionViolation:
    return PreconditionViolation(
        "SLA_EXCEEDED", f"destination:{destination}", f"{days} days to refund > max {limit}"
    )


def _reasons(shipment: Shipment) -> tuple[str, ...]:
    codes = [f"DESTINATION_{shipment.destination_kind.name}"]
    for a in shipment.customs:
        if a.border:
            codes.append(f"BORDER_{a.export_country}_{a.import_country}")
        if a.relief:
            codes.append("RETURNED_GOODS_RELIEF")
        if a.reclaimable_minor > 0:  # a route listed at 0 (why in its note) reclaims nothing
            codes.append("DUTY_VAT_RECLAIMABLE")
    return tuple(codes)


def _dedupe(violations: list[PreconditionViolation]) -> list[PreconditionViolation]:
    seen: Counter[tuple[str, str, str]] = Counter()
    out = []
    for v in violations:
        key = (v.type, v.subject, v.description)
        if not seen[key]:
            out.append(v)
        seen[key] += 1
    return out


# customs' names for inputs the request calls otherwise (the date assessed is the return date)
_REQUEST_FIELDS = {"on": "return_date"}


def _on_the_return(exc: CustomsError) -> InvalidInput:
    """A customs input error named on the request (``items[0].hs_code`` ->
    ``customer_return.items[0].hs_code``, ``on`` -> ``customer_return.return_date``)."""
    field = _REQUEST_FIELDS.get(exc.field, exc.field)
    if not field.startswith("customer_return."):
        field = f"customer_return.{field}"
    return InvalidInput([FieldViolation(field, exc.reason)])
