"""In-memory fakes and a small hand-built network for engine tests.

The network: customers in DE, FR and GB (plus IS, served by nobody); an EU origin in DE, a
local 3PL in FR, a hub in NL with a pallet lane to the origin. Rates are round numbers so the
expected terms can be computed by hand in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from customs.api import (
    Amounts,
    Assessment,
    Claimant,
    Confidence,
    Crossing,
    CustomsItem,
    FxConversion,
    Reclaim,
    ReturnReason,
    RuleRef,
)
from hubs.model import (
    CarrierService,
    ConditionGrade,
    CustomerRegion,
    Disposition,
    Facility,
    FacilityKind,
    LinehaulLane,
    Mode,
    Network,
    Policy,
    RateCard,
    RecoveryRates,
    Scope,
    ServiceKind,
)
from routing.decide.domain import Constraints, Item, Return

RULE = RuleRef("fake", "none", ("S00",), date(2000, 1, 1), None, Confidence.HIGH)


class FakeFx:
    """1 GBP = 1.20 EUR, everything else 1:1."""

    RATES: ClassVar[dict[tuple[str, str], tuple[int, int]]] = {("GBP", "EUR"): (6, 5)}

    def convert(
        self, amount_minor: int, from_currency: str, to_currency: str, on: date
    ) -> FxConversion:
        num, den = self.RATES.get((from_currency, to_currency), (1, 1))
        return FxConversion(
            from_currency,
            to_currency,
            f"{num / den}",
            on,
            amount_minor,
            amount_minor * num // den,
            "FX00",
        )


@dataclass
class FakeCustoms:
    """Duty = ``duty_bp`` of the value on a border entry that is not a re-entry, plus flat
    ``entry_duty_minor``/``entry_vat_minor`` on every border entry; reclaims of
    ``reclaim_minor`` duty and ``reclaim_vat_minor`` VAT when leaving GB."""

    duty_bp: int = 0
    reclaim_minor: int = 0
    entry_duty_minor: int = 0
    entry_vat_minor: int = 0
    reclaim_vat_minor: int = 0
    calls: list[Crossing] = field(default_factory=list)

    def customs_area(self, country: str, territory: str, on: date) -> str:
        return "EU" if country in {"DE", "FR", "NL"} else country

    def amounts(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Amounts:
        return Amounts.of(self.assess(crossing, items, on, currency=currency))

    def assess(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Assessment:
        self.calls.append(crossing)
        border = crossing.export_country != crossing.import_country and not (
            {crossing.export_country, crossing.import_country} <= {"DE", "FR", "NL"}
        )
        value = sum(i.value_minor * i.quantity for i in items)
        duty = value * self.duty_bp // 10_000 if border and not crossing.reentry else 0
        duty += self.entry_duty_minor if border else 0
        reclaims: tuple[Reclaim, ...] = ()
        if (
            border
            and crossing.export_country == "GB"
            and (self.reclaim_minor or self.reclaim_vat_minor)
        ):
            reclaims = (
                Reclaim(
                    "fake reclaim",
                    self.reclaim_minor,
                    self.reclaim_vat_minor,
                    date(2099, 1, 1),
                    Claimant.IMPORTER_OF_RECORD,
                    (),
                    (),
                    RULE,
                ),
            )
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=border,
            union="" if border else "EU",
            currency=currency,
            duty_due_minor=duty,
            vat_due_minor=self.entry_vat_minor if border else 0,
            relief="returned goods relief" if border and crossing.reentry else "",
            de_minimis="",
            reclaims=reclaims,
            documents=(),
            rules=(RULE,),
        )


def card(
    cid: str,
    prices: tuple[tuple[int, ...], ...],
    *,
    zones: tuple[int, ...] = (500, 1500),
    fuel_bp: int = 1000,
    fee_minor: int = 0,
) -> RateCard:
    return RateCard(
        id=cid,
        currency="EUR",
        zone_upper_km=zones,
        weight_upper_g=(1000, 5000, 20000),
        prices_minor=prices,
        volumetric_divisor_cm3_per_kg=5000,
        fuel_surcharge_bp=fuel_bp,
        per_parcel_fee_minor=fee_minor,
    )


def facility(
    fid: str, kind: FacilityKind, country: str, lat: float, lon: float, *, processing_days: int = 1
) -> Facility:
    dispositions = {
        FacilityKind.ORIGIN: {Disposition.RESTOCK, Disposition.REFURBISH, Disposition.RECYCLE},
        FacilityKind.LOCAL_3PL: {
            Disposition.RESELL_LOCAL,
            Disposition.LIQUIDATE,
            Disposition.RECYCLE,
        },
        FacilityKind.HUB: {Disposition.LIQUIDATE},
    }[kind]
    return Facility(
        id=fid,
        name=fid,
        kind=kind,
        country=country,
        lat=lat,
        lon=lon,
        capacity_units_per_day=1000,
        handling_per_parcel_minor=200,
        handling_per_unit_minor=100,
        currency="EUR",
        processing_days=processing_days,
        dispositions=frozenset(dispositions),
    )


def service(
    sid: str,
    kind: ServiceKind,
    scope: Scope,
    rate_card: str,
    days: tuple[int, int],
    *,
    max_weight_g: int = 20000,
) -> CarrierService:
    return CarrierService(
        id=sid,
        carrier=sid.split("_")[0],
        name=sid,
        kind=kind,
        mode=Mode.ROAD,
        scope=scope,
        rate_card=rate_card,
        transit_days_by_zone=days,
        pickup_countries=frozenset({"DE", "FR", "GB"}),
        max_weight_g=max_weight_g,
        max_length_mm=1200,
        max_length_plus_girth_mm=3000,
        clears_customs=kind is ServiceKind.EXPRESS,
    )


def small_network(
    *,
    refund_delay_per_day_minor: int = 0,
    depreciation_bp: int = 0,
    co2e_price_per_tonne_minor: int = 0,
    intl_fee_minor: int = 0,
) -> Network:
    facilities = [
        facility("origin_de", FacilityKind.ORIGIN, "DE", 51.34, 12.37, processing_days=2),
        facility("tpl_fr", FacilityKind.LOCAL_3PL, "FR", 48.86, 2.35),
        facility("hub_nl", FacilityKind.HUB, "NL", 51.37, 6.17),
    ]
    cards = [
        card("dom", ((500, 800, 1500), (600, 900, 1600))),
        card("intl", ((1500, 2500, 4000), (2000, 3000, 5000)), fee_minor=intl_fee_minor),
    ]
    services = [
        service("post_dom", ServiceKind.POSTAL_ECONOMY, Scope.DOMESTIC, "dom", (2, 3)),
        service("post_intl", ServiceKind.POSTAL_ECONOMY, Scope.INTERNATIONAL, "intl", (4, 6)),
        service(
            "exp_intl", ServiceKind.EXPRESS, Scope.INTERNATIONAL, "intl", (1, 2), max_weight_g=5000
        ),
    ]
    lane = LinehaulLane(
        id="nl_de_pallet",
        from_facility="hub_nl",
        to_facility="origin_de",
        carrier="road",
        mode=Mode.ROAD,
        dispatch_unit="pallet",
        capacity_g=1_000_000,
        capacity_units=500,
        fixed_cost_minor=30000,
        per_kg_minor=10,
        currency="EUR",
        cadence_days=4,
        transit_days=2,
        planning_units_per_dispatch=200,
        distance_km=600,
    )
    rates = {}
    for grade, (restock, resell, refurb, liq) in {
        ConditionGrade.A: (9000, 7000, 0, 1000),
        ConditionGrade.B: (7000, 6000, 5000, 1000),
        ConditionGrade.C: (0, 3000, 5000, 800),
        ConditionGrade.D: (0, 0, 2000, 500),
    }.items():
        for disp, bp in (
            (Disposition.RESTOCK, restock),
            (Disposition.RESELL_LOCAL, resell),
            (Disposition.REFURBISH, refurb),
            (Disposition.LIQUIDATE, liq),
        ):
            if bp:
                rates[(disp, grade)] = bp
        rates[(Disposition.RECYCLE, grade)] = 0
    return Network(
        name="small",
        currency="EUR",
        facilities={f.id: f for f in facilities},
        rate_cards={c.id: c for c in cards},
        services={s.id: s for s in services},
        lanes={lane.id: lane},
        regions={
            "DE": CustomerRegion("DE", 52.52, 13.40),
            "FR": CustomerRegion("FR", 48.85, 2.35),
            "GB": CustomerRegion("GB", 51.51, -0.13),
            "IS": CustomerRegion("IS", 64.15, -21.94),
        },
        co2e_g_per_tkm={Mode.ROAD: 100, Mode.AIR: 600},
        recovery=RecoveryRates(
            rates_bp=rates,
            cost_per_unit_minor={Disposition.REFURBISH: 500, Disposition.RECYCLE: 50},
            currency="EUR",
        ),
        policy=Policy(
            refund_delay_per_day_minor=refund_delay_per_day_minor,
            resale_depreciation_per_day_bp=depreciation_bp,
            co2e_price_per_tonne_minor=co2e_price_per_tonne_minor,
            returnless_max_value_minor=5000,
        ),
    )


def item(
    sku: str = "SKU-1",
    *,
    value_minor: int = 10_000,
    weight_g: int = 800,
    quantity: int = 1,
    grade: ConditionGrade = ConditionGrade.A,
    currency: str = "EUR",
    dims_mm: tuple[int, int, int] = (300, 200, 100),
) -> Item:
    return Item(
        sku=sku,
        hs_code="640411",
        value_minor=value_minor,
        currency=currency,
        weight_g=weight_g,
        dims_mm=dims_mm,
        quantity=quantity,
        grade=grade,
        reason=ReturnReason.CHANGED_MIND,
    )


def a_return(
    *items: Item,
    country: str = "FR",
    origin: str = "origin_de",
    constraints: Constraints | None = None,
    duty_paid_minor: int = 0,
) -> Return:
    return Return(
        items=items or (item(),),
        customer_country=country,
        customer_postal_code="75001",
        origin_facility_id=origin,
        import_date=date(2026, 10, 1),
        duty_paid_minor=duty_paid_minor,
        vat_paid_minor=0,
        paid_currency="EUR",
        return_date=date(2026, 11, 2),
        constraints=constraints or Constraints(),
    )
