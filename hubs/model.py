"""The network as domain objects: facilities, carrier services, rate cards, line-haul lanes.

Every object is a frozen dataclass that validates itself; units are in the field names
(``_g`` grams, ``_mm`` millimetres, ``_km`` kilometres, ``_minor`` integer minor units of the
object's ISO 4217 currency, ``_bp`` basis points = 1/100 of a percent, ``_days`` days).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from customs.errors import FieldViolation, InvalidInput


class NetworkError(InvalidInput, ValueError):
    """A network definition is invalid.

    ``path`` names the offending key (e.g. ``facilities.hub_nl_venlo.country``).
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__([FieldViolation(path, reason)])
        self.path = path
        self.reason = reason


class FacilityKind(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    ORIGIN = "origin"  # the merchant's origin warehouse (country B)
    LOCAL_3PL = "local_3pl"  # a returns centre in the customer's country (A)
    HUB = "hub"  # a regional consolidation hub (C), onward line-haul to an origin


class Disposition(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    RESTOCK = "restock"  # back into sellable stock as new
    RESELL_LOCAL = "resell_local"  # sold as open-box / B-goods in the destination's market
    REFURBISH = "refurbish"  # repaired or re-packed, then sold
    LIQUIDATE = "liquidate"  # sold in bulk to a liquidator
    RECYCLE = "recycle"  # recycled or disposed of
    RETURNLESS = "returnless"  # refund without shipment: the customer keeps the goods (keep-it)
    DONATE = "donate"  # given to a local charity through a partner in the customer's country


class ConditionGrade(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    A = "A"  # unopened / as new
    B = "B"  # opened, like new
    C = "C"  # used or cosmetically damaged, repairable
    D = "D"  # defective, not resellable as is


class ServiceKind(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    POSTAL_ECONOMY = "postal_economy"
    EXPRESS = "express"
    GROUND = "ground"
    LINEHAUL = "linehaul"  # consolidated freight: pallets, containers
    FREIGHT = "freight"  # a pallet collected from the customer: what no parcel service takes


class Mode(enum.Enum):
    """Transport mode; each has a CO2e factor (g CO2e per tonne-km) in the network file."""

    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    VAN = "van"
    ROAD = "road"
    AIR = "air"
    OCEAN = "ocean"
    RAIL = "rail"


class RefundTrigger(enum.Enum):
    """When the merchant refunds the customer: days to refund count up to this event."""

    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    FIRST_SCAN = "first_scan"  # the carrier's first scan (the customer hands the goods over)
    RECEIPT = "receipt"  # receipt at the first facility
    GRADED = "graded"  # after inspection and grading at the first facility


class Scope(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    DOMESTIC = "domestic"  # pick-up and delivery in the same country
    INTERNATIONAL = "international"
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a number comes from (an entry of shared/reference/*_facts)."""

    ref: str
    year: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class Facility:
    id: str
    name: str
    kind: FacilityKind
    country: str  # ISO 3166-1 alpha-2
    lat: float
    lon: float
    capacity_units_per_day: int  # returned units it can receive and process per day
    handling_per_parcel_minor: int  # receiving a return parcel (check-in)
    handling_per_unit_minor: int  # inspection, repack, restock per unit
    currency: str
    processing_days: int  # receipt to refund trigger (inspection)
    dispositions: frozenset[Disposition]
    bonded: bool = False  # customs warehouse: goods held without import duty/VAT due
    resale_factor_bp: int = 10_000  # market price level of resale at this facility vs the origin
    territory: str = ""  # ISO 3166-2 subdivision when it matters for customs (e.g. ES-CN)
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        _nonneg(f"facility {self.id}", "capacity_units_per_day", self.capacity_units_per_day)
        _nonneg(f"facility {self.id}", "handling_per_parcel_minor", self.handling_per_parcel_minor)
        _nonneg(f"facility {self.id}", "handling_per_unit_minor", self.handling_per_unit_minor)
        _nonneg(f"facility {self.id}", "processing_days", self.processing_days)
        if not -90.0 <= self.lat <= 90.0 or not -180.0 <= self.lon <= 180.0:
            raise NetworkError(f"facility {self.id}", "lat/lon out of range")
        if Disposition.RETURNLESS in self.dispositions:
            raise NetworkError(f"facility {self.id}.dispositions", "returnless needs no facility")


@dataclass(frozen=True, slots=True)
class RateCard:
    """Price of one parcel by distance band (zone) and weight break.

    ``prices_minor[z][w]`` is the base price for a parcel whose great-circle distance falls in
    zone ``z`` (distance <= ``zone_upper_km[z]``) and whose billable weight is
    <= ``weight_upper_g[w]``.
    Billable weight = max(actual, volume_cm3 * 1000 / volumetric_divisor_cm3_per_kg) grams.
    """

    id: str
    currency: str
    zone_upper_km: tuple[int, ...]
    weight_upper_g: tuple[int, ...]
    prices_minor: tuple[tuple[int, ...], ...]
    volumetric_divisor_cm3_per_kg: int
    fuel_surcharge_bp: int
    per_parcel_fee_minor: int = 0  # e.g. a customs clearance fee charged on international parcels
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        where = f"rate_card {self.id}"
        if not self.zone_upper_km or list(self.zone_upper_km) != sorted(set(self.zone_upper_km)):
            raise NetworkError(
                f"{where}.zone_upper_km", "must be non-empty and strictly increasing"
            )
        if not self.weight_upper_g or list(self.weight_upper_g) != sorted(set(self.weight_upper_g)):
            raise NetworkError(
                f"{where}.weight_upper_g", "must be non-empty and strictly increasing"
            )
        if len(self.prices_minor) != len(self.zone_upper_km):
            raise NetworkError(f"{where}.prices_minor", "needs one row per zone")
        for z, row in enumerate(self.prices_minor):
            if len(row) != len(self.weight_upper_g):
                raise NetworkError(f"{where}.prices_minor[{z}]", "needs one price per weight break")
            if any(p < 0 for p in row):
                raise NetworkError(f"{where}.prices_minor[{z}]", "prices must be >= 0")
        if self.volumetric_divisor_cm3_per_kg <= 0:
            raise NetworkError(f"{where}.volumetric_divisor_cm3_per_kg", "must be > 0")
        _nonneg(where, "fuel_surcharge_bp", self.fuel_surcharge_bp)
        _nonneg(where, "per_parcel_fee_minor", self.per_parcel_fee_minor)

    @property
    def max_weight_g(self) -> int:
        return self.weight_upper_g[-1]

    @property
    def max_distance_km(self) -> int:
        return self.zone_upper_km[-1]


@dataclass(frozen=True, slots=True)
class CarrierService:
    """A parcel service a customer hands a return to (postal, express, ground)."""

    id: str
    carrier: str
    name: str
    kind: ServiceKind
    mode: Mode  # the mode of the main haul, for CO2e
    scope: Scope
    rate_card: str  # RateCard.id
    transit_days_by_zone: tuple[int, ...]
    pickup_countries: frozenset[str]  # empty = every country the network serves
    max_weight_g: int
    max_length_mm: int
    max_length_plus_girth_mm: int
    clears_customs: bool  # integrators broker the crossing; postal uses CN22/CN23
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        where = f"service {self.id}"
        if self.kind is ServiceKind.LINEHAUL:
            raise NetworkError(f"{where}.kind", "line-haul is a lane, not a parcel service")
        for name in ("max_weight_g", "max_length_mm", "max_length_plus_girth_mm"):
            if getattr(self, name) <= 0:
                raise NetworkError(f"{where}.{name}", "must be > 0")
        if any(d < 0 for d in self.transit_days_by_zone):
            raise NetworkError(f"{where}.transit_days_by_zone", "days must be >= 0")


@dataclass(frozen=True, slots=True)
class LinehaulLane:
    """Consolidated onward transport from a hub (or 3PL) to another facility (usually an origin).

    One dispatch is a pallet or container with a fixed cost; a single return pays
    ``fixed_cost_minor / planning_units_per_dispatch`` (its share at the planned fill) plus
    ``per_kg_minor`` for its weight.
    """

    id: str
    from_facility: str
    to_facility: str
    carrier: str
    mode: Mode
    dispatch_unit: str  # "pallet", "container_20ft", "container_40ft", "tote", ...
    capacity_g: int  # payload of one dispatch
    capacity_units: int  # returned units one dispatch holds
    fixed_cost_minor: int  # per dispatch
    per_kg_minor: int  # variable cost per kg carried
    currency: str
    cadence_days: int  # days between departures (average wait = cadence / 2)
    transit_days: int
    planning_units_per_dispatch: int  # expected fill used to price a single return's share
    distance_km: int
    sources: tuple[Source, ...] = ()
    # per_kg_minor is billed on max(actual, volume_cm3 * 1000 / divisor) g; 0: on actual weight
    volumetric_divisor_cm3_per_kg: int = 0

    def __post_init__(self) -> None:
        where = f"lane {self.id}"
        _nonneg(where, "volumetric_divisor_cm3_per_kg", self.volumetric_divisor_cm3_per_kg)
        for name in ("capacity_g", "capacity_units", "planning_units_per_dispatch", "distance_km"):
            if getattr(self, name) <= 0:
                raise NetworkError(f"{where}.{name}", "must be > 0")
        for name in ("fixed_cost_minor", "per_kg_minor", "cadence_days", "transit_days"):
            _nonneg(where, name, getattr(self, name))
        if self.planning_units_per_dispatch > self.capacity_units:
            raise NetworkError(f"{where}.planning_units_per_dispatch", "exceeds capacity_units")
        if self.from_facility == self.to_facility:
            raise NetworkError(f"{where}.to_facility", "a lane must join two facilities")


@dataclass(frozen=True, slots=True)
class CustomerRegion:
    """A country the network serves, with the point used to measure parcel distances."""

    country: str
    lat: float
    lon: float
    territory: str = ""


@dataclass(frozen=True, slots=True)
class RecoveryRates:
    """Share of an item's value recovered per disposition and grade, in basis points.

    A missing (disposition, grade) pair means the disposition is not allowed for that grade.
    """

    rates_bp: dict[tuple[Disposition, ConditionGrade], int]
    cost_per_unit_minor: dict[Disposition, int]  # refurbishment labour, recycling fee...
    currency: str
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        for (disp, grade), bp in self.rates_bp.items():
            if not 0 <= bp <= 10_000:
                raise NetworkError(f"recovery.{disp.value}.{grade.value}", "must be 0..10000 bp")


DEFAULT_MAX_LOSS_BP = 10_000  # the loss guard's default: a net cost above the goods' value


@dataclass(frozen=True, slots=True)
class Policy:
    """How time and carbon are priced in the net cost (minor units of the network currency),
    and the merchant policy a request may override (the network's defaults)."""

    refund_delay_per_day_minor: int  # goodwill cost of a customer waiting one more day
    resale_depreciation_per_day_bp: int  # value lost per day before resale, on the item value
    co2e_price_per_tonne_minor: int  # 0 = report only
    returnless_max_value_minor: int  # keep-it: never refund without shipment above this per unit
    sources: tuple[Source, ...] = ()
    # local disposal (donate, recycle, liquidate through a partner): None = no value cap
    local_disposal_max_value_minor: int | None = None
    # the loss guard: a decision whose net cost exceeds this share of the goods' value says so
    max_loss_bp: int = 10_000  # = DEFAULT_MAX_LOSS_BP
    refund_trigger: RefundTrigger = RefundTrigger.GRADED

    def __post_init__(self) -> None:
        for name in (
            "refund_delay_per_day_minor",
            "resale_depreciation_per_day_bp",
            "co2e_price_per_tonne_minor",
            "returnless_max_value_minor",
            "max_loss_bp",
        ):
            _nonneg("policy", name, getattr(self, name))
        if self.local_disposal_max_value_minor is not None:
            _nonneg("policy", "local_disposal_max_value_minor", self.local_disposal_max_value_minor)


@dataclass(frozen=True, slots=True)
class LocalDisposal:
    """Disposal in the customer's country without a shipment into the network: the customer
    drops the goods at a local partner (charity, recycler, liquidator), who receives, grades
    and disposes of them. Recovery rates and per-unit costs are the network's ``recovery``."""

    dispositions: frozenset[Disposition]  # of donate, recycle, liquidate
    handling_per_parcel_minor: int  # the partner's receiving fee per drop-off
    handling_per_unit_minor: int  # the partner's inspection per unit
    currency: str
    processing_days: int  # receipt to grading at the partner
    sources: tuple[Source, ...] = ()

    def __post_init__(self) -> None:
        _nonneg("local_disposal", "handling_per_parcel_minor", self.handling_per_parcel_minor)
        _nonneg("local_disposal", "handling_per_unit_minor", self.handling_per_unit_minor)
        _nonneg("local_disposal", "processing_days", self.processing_days)
        wrong = self.dispositions - LOCAL_DISPOSITIONS
        if wrong:
            raise NetworkError(
                "local_disposal.dispositions",
                f"{', '.join(sorted(d.value for d in wrong))} cannot be done by a local partner"
                f" (allowed: {', '.join(sorted(d.value for d in LOCAL_DISPOSITIONS))})",
            )


LOCAL_DISPOSITIONS = frozenset({Disposition.DONATE, Disposition.RECYCLE, Disposition.LIQUIDATE})


@dataclass(frozen=True, slots=True)
class Network:
    name: str
    currency: str  # the base currency every cost is converted to
    facilities: dict[str, Facility]
    rate_cards: dict[str, RateCard]
    services: dict[str, CarrierService]
    lanes: dict[str, LinehaulLane]
    regions: dict[str, CustomerRegion]
    co2e_g_per_tkm: dict[Mode, int]
    recovery: RecoveryRates
    policy: Policy
    notes: str = ""
    sources: tuple[Source, ...] = field(default=())
    local_disposal: LocalDisposal | None = None  # None: no local disposal partners


def _nonneg(where: str, name: str, value: int) -> None:
    if value < 0:
        raise NetworkError(f"{where}.{name}", f"must be >= 0, got {value}")
