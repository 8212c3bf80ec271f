"""The network compiled for the hot path: everything that does not depend on one request.

At load we convert every rate card, handling cost and line-haul cost to the network's base
currency (FX on the load date), and enumerate per (customer country, origin) the candidate
routes from the lane graph. A RouteReturn then only does array lookups and a few customs
assessments.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from customs.api import Channel, FxConversion
from hubs.graph import LaneGraph, Path
from hubs.model import (
    CarrierService,
    ConditionGrade,
    Disposition,
    Facility,
    LinehaulLane,
    Mode,
    Network,
    RateCard,
    RefundTrigger,
    ServiceKind,
)
from routing.decide.domain import DestinationKind


class FxConverter(Protocol):
    """What routing needs of an FX table (``customs.fx.FxTable`` is the real one)."""

    def convert(
        self, amount_minor: int, from_currency: str, to_currency: str, on: date
    ) -> FxConversion: ...


@dataclass(frozen=True, slots=True)
class CompiledRateCard:
    """A rate card in base-currency minor units; prices[zone][break]."""

    id: str
    weight_upper_g: tuple[int, ...]
    prices_minor: tuple[tuple[int, ...], ...]
    volumetric_divisor_cm3_per_kg: int
    fuel_surcharge_bp: int
    per_parcel_fee_minor: int

    def price(self, zone: int, billable_g: int) -> int | None:
        """Base price of a parcel, or None when it is heavier than the last weight break."""
        breaks = self.weight_upper_g
        if billable_g > breaks[-1]:
            return None
        return self.prices_minor[zone][bisect.bisect_left(breaks, billable_g)]  # first >= weight


RESOLD = frozenset({Disposition.RESTOCK, Disposition.RESELL_LOCAL, Disposition.REFURBISH})


@dataclass(frozen=True, slots=True)
class DispositionChoice:
    """A disposition a destination can apply to one grade, precomputed per route."""

    disposition: Disposition
    recovery_bp: int  # recovery rate x the destination's resale factor
    cost_minor: int  # per unit, base currency
    resold: bool  # value recovered only at resale: pays the resale delay


@dataclass(frozen=True, slots=True)
class Route:
    """One way to send a return: a parcel leg to a first stop, optionally a line-haul onward."""

    path: Path
    service: CarrierService
    first_stop: Facility
    destination: Facility
    lane: LinehaulLane | None
    card: CompiledRateCard
    handling_per_parcel_minor: int  # at the destination, base currency
    handling_per_unit_minor: int
    first_handling_per_parcel_minor: int  # receiving a parcel at the first stop (its share)
    lane_share_per_unit_minor: int  # fixed dispatch cost / expected fill
    lane_fixed_cost_minor: int  # per dispatch (to price another expected fill)
    lane_expected_fill: int  # units per dispatch the share assumes (the lane's planning fill)
    lane_per_kg_minor: int
    lane_volumetric_divisor: int  # the line-haul bills per kg on volumetric weight; 0: actual
    parcel_co2e_g_per_tkm: int
    lane_co2e_g_per_tkm: int
    parcel_co2e_g_km_per_tkm: int  # parcel distance x its factor: x kg / 1000 = g CO2e
    lane_co2e_g_km_per_tkm: int  # the same for the line-haul (0 without one)
    days_to_refund: int  # parcel transit + inspection at the first stop (refund on grading)
    days_to_receipt: int  # parcel transit to the first stop (refund on receipt)
    days_to_resale: int  # + onward wait, line-haul and processing at the destination
    destination_kind: DestinationKind
    disposition_choices: dict[ConditionGrade, tuple[DispositionChoice, ...]]
    key: str  # "service:first_stop[>lane]" (``route_key``)
    channel: Channel  # customs channel of the parcel leg
    crosses_onward: bool  # the line-haul onward leaves the first stop's country or territory
    # all that the route's customs crossings read of it (routing.decide.customs_terms memoizes on
    # this): first stop country, territory, bonded; channel; crosses_onward; destination
    # country, territory, bonded
    customs_sig: tuple[str, str, bool, Channel, bool, str, str, bool]
    customs_sig_id: int  # the same as a small integer (equal ids: equal signatures)


_CHANNELS = {ServiceKind.POSTAL_ECONOMY: Channel.POSTAL, ServiceKind.FREIGHT: Channel.FREIGHT}


def with_observed_fill(route: Route, units_per_day: int) -> Route:
    """``route`` with its line-haul share priced on the fill the day's observed volume at the
    lane's first facility promises (that volume over the lane's cadence, at most a full
    dispatch), when that is fuller than the lane's planning fill; else ``route`` itself."""
    lane = route.lane
    if lane is None:
        return route
    fill = min(lane.capacity_units, units_per_day * max(lane.cadence_days, 1))
    if fill <= route.lane_expected_fill:
        return route
    return replace(
        route,
        lane_expected_fill=fill,
        lane_share_per_unit_minor=math.ceil(route.lane_fixed_cost_minor / fill),
    )


def refund_days(route: Route, trigger: RefundTrigger) -> int:
    """Days until the customer is refunded on ``route`` when the merchant refunds on
    ``trigger``: at the carrier's first scan (0), at receipt, or after grading."""
    if trigger is RefundTrigger.GRADED:
        return route.days_to_refund
    return route.days_to_receipt if trigger is RefundTrigger.RECEIPT else 0


@dataclass(frozen=True, slots=True)
class LocalOptions:
    """Local disposal in the customer's country, compiled: the partner's handling in base
    currency and the dispositions it applies per grade (recovery at the origin's price level)."""

    handling_per_parcel_minor: int
    handling_per_unit_minor: int
    processing_days: int
    choices: dict[ConditionGrade, tuple[DispositionChoice, ...]]
    # per customer country, the heaviest and longest unit a customer can bring to a partner:
    # what the parcel services picking up there carry (the customer drops it as a parcel)
    unit_limits: dict[str, tuple[int, int]]


def route_key(service: CarrierService, first_stop: Facility, lane: LinehaulLane | None) -> str:
    onward = f">{lane.id}" if lane else ""
    return f"{service.id}:{first_stop.id}{onward}"


class CompiledNetwork:
    """The network plus its hot-path tables. Build once per loaded network."""

    def __init__(self, network: Network, fx: FxConverter, *, on: date) -> None:
        self.network = network
        self.fx = fx
        self.compiled_on = on
        self.graph = LaneGraph(network)
        self.cards = {cid: self._compile_card(card) for cid, card in network.rate_cards.items()}
        self.recovery_cost_minor = {
            d: self.to_base(c, network.recovery.currency)
            for d, c in network.recovery.cost_per_unit_minor.items()
        }
        self.local = self._local_options()
        self._routes: dict[tuple[str, str], tuple[Route, ...]] = {}
        self._sig_ids: dict[tuple[str, str, bool, Channel, bool, str, str, bool], int] = {}
        for country in network.regions:
            for fid, facility in network.facilities.items():
                if facility.kind.value == "origin":
                    self._routes[(country, fid)] = tuple(
                        self._compile_route(p) for p in self.graph.candidate_paths(country, fid)
                    )

    def routes(self, country: str, origin_facility_id: str) -> tuple[Route, ...]:
        """Candidate routes; an empty tuple when the country or the origin is not served."""
        return self._routes.get((country, origin_facility_id), ())

    def to_base(self, amount_minor: int, currency: str) -> int:
        if currency == self.network.currency:
            return amount_minor
        return self.fx.convert(
            amount_minor, currency, self.network.currency, self.compiled_on
        ).amount_to_minor

    def _compile_card(self, card: RateCard) -> CompiledRateCard:
        return CompiledRateCard(
            id=card.id,
            weight_upper_g=card.weight_upper_g,
            prices_minor=tuple(
                tuple(self.to_base(p, card.currency) for p in row) for row in card.prices_minor
            ),
            volumetric_divisor_cm3_per_kg=card.volumetric_divisor_cm3_per_kg,
            fuel_surcharge_bp=card.fuel_surcharge_bp,
            per_parcel_fee_minor=self.to_base(card.per_parcel_fee_minor, card.currency),
        )

    def _compile_route(self, path: Path) -> Route:
        net = self.network
        lane = path.onward
        first = path.facility
        dest = net.facilities[lane.to_facility] if lane else first
        handling_parcel = self.to_base(dest.handling_per_parcel_minor, dest.currency)
        handling_unit = self.to_base(dest.handling_per_unit_minor, dest.currency)
        first_parcel = self.to_base(first.handling_per_parcel_minor, first.currency)
        share = per_kg = lane_co2 = extra_days = fixed = divisor = 0
        if lane is not None:
            fixed = self.to_base(lane.fixed_cost_minor, lane.currency)
            divisor = lane.volumetric_divisor_cm3_per_kg
            # the hub receives the parcel too: its handling adds to the destination's
            handling_parcel += self.to_base(first.handling_per_parcel_minor, first.currency)
            handling_unit += self.to_base(first.handling_per_unit_minor, first.currency)
            share = math.ceil(
                self.to_base(lane.fixed_cost_minor, lane.currency)
                / lane.planning_units_per_dispatch
            )
            per_kg = self.to_base(lane.per_kg_minor, lane.currency)
            lane_co2 = net.co2e_g_per_tkm.get(lane.mode, 0)
            extra_days = math.ceil(lane.cadence_days / 2) + lane.transit_days + dest.processing_days
        parcel_mode = (
            path.service.mode if path.service.kind is not ServiceKind.LINEHAUL else Mode.ROAD
        )
        parcel_co2 = net.co2e_g_per_tkm.get(parcel_mode, 0)
        channel = _CHANNELS.get(path.service.kind, Channel.COURIER)
        crosses_onward = lane is not None and (
            dest.country != first.country or dest.territory != first.territory
        )
        sig = (
            first.country,
            first.territory,
            first.bonded,
            channel,
            crosses_onward,
            dest.country,
            dest.territory,
            dest.bonded,
        )
        return Route(
            path=path,
            service=path.service,
            first_stop=first,
            destination=dest,
            lane=lane,
            card=self.cards[path.service.rate_card],
            handling_per_parcel_minor=handling_parcel,
            handling_per_unit_minor=handling_unit,
            first_handling_per_parcel_minor=first_parcel,
            lane_share_per_unit_minor=share,
            lane_fixed_cost_minor=fixed,
            lane_expected_fill=lane.planning_units_per_dispatch if lane is not None else 0,
            lane_per_kg_minor=per_kg,
            lane_volumetric_divisor=divisor,
            parcel_co2e_g_per_tkm=parcel_co2,
            lane_co2e_g_per_tkm=lane_co2,
            parcel_co2e_g_km_per_tkm=path.distance_km * parcel_co2,
            lane_co2e_g_km_per_tkm=lane.distance_km * lane_co2 if lane is not None else 0,
            days_to_refund=path.transit_days + first.processing_days,
            days_to_receipt=path.transit_days,
            days_to_resale=path.transit_days + first.processing_days + extra_days,
            destination_kind=DestinationKind.of(dest.kind),
            disposition_choices=self._choices(dest),
            key=route_key(path.service, first, lane),
            channel=channel,
            crosses_onward=crosses_onward,
            customs_sig=sig,
            customs_sig_id=self._sig_ids.setdefault(sig, len(self._sig_ids)),
        )

    def _choices(self, dest: Facility) -> dict[ConditionGrade, tuple[DispositionChoice, ...]]:
        return self._grade_choices(dest.dispositions, dest.resale_factor_bp)

    def _grade_choices(
        self, dispositions: frozenset[Disposition], resale_factor_bp: int
    ) -> dict[ConditionGrade, tuple[DispositionChoice, ...]]:
        rates = self.network.recovery.rates_bp
        out: dict[ConditionGrade, tuple[DispositionChoice, ...]] = {}
        for grade in ConditionGrade:
            out[grade] = tuple(
                DispositionChoice(
                    disposition=d,
                    recovery_bp=rates[(d, grade)] * resale_factor_bp // 10_000,
                    cost_minor=self.recovery_cost_minor.get(d, 0),
                    resold=d in RESOLD,
                )
                for d in sorted(dispositions, key=lambda d: d.value)
                if (d, grade) in rates
            )
        return out

    def _local_options(self) -> LocalOptions | None:
        local = self.network.local_disposal
        if local is None or not local.dispositions:
            return None
        limits: dict[str, tuple[int, int]] = {}
        for country in self.network.regions:
            parcels = [
                svc
                for svc in self.network.services.values()
                if svc.kind is not ServiceKind.FREIGHT
                and (not svc.pickup_countries or country in svc.pickup_countries)
            ]
            if parcels:
                limits[country] = (
                    max(svc.max_weight_g for svc in parcels),
                    max(svc.max_length_mm for svc in parcels),
                )
        return LocalOptions(
            handling_per_parcel_minor=self.to_base(local.handling_per_parcel_minor, local.currency),
            handling_per_unit_minor=self.to_base(local.handling_per_unit_minor, local.currency),
            processing_days=local.processing_days,
            choices=self._grade_choices(local.dispositions, 10_000),
            unit_limits=limits,
        )
