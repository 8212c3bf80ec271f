"""Domain objects of the decision engine: a Return in, a Decision out.

These never hold protobuf messages; ``routing.rpc.wire`` maps them to and from the wire.
Money is integer minor units with an ISO 4217 currency, weights grams, sizes millimetres,
times whole days.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import NoReturn, TypeVar

from customs.api import Assessment, ReturnReason
from customs.codes import is_country, is_currency, is_hs_code
from hubs.model import ConditionGrade, Disposition, FacilityKind, Mode, RefundTrigger
from routing.errors import FieldViolation, InvalidInput

MAX_ITEMS = 1000  # item lines per return
MAX_QUANTITY = 10_000  # units per item line
MAX_STRING_BYTES = 1024
MAX_VALUE_MINOR = 10**11  # 1 bn in major units: anything above is a data error
MAX_WEIGHT_G = 1_000_000  # 1 t per unit
MAX_DIMENSION_MM = 10_000  # 10 m
MAX_DAYS_TO_REFUND = 365
MAX_ALTERNATIVES = 50
MAX_LOSS_BP = 1_000_000  # a loss threshold of 100x the goods' value: anything above is an error
# The last day a return, an import or a quote may be dated: past every rule table, and far
# enough from the calendar's end (year 9999) that no transit, resale or reclaim deadline added
# to it overflows (9997-12-01 + a two-year deadline did, answering INTERNAL).
LATEST_DATE = date(2199, 12, 31)
_POSTAL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,11}$")


class DestinationKind(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    LOCAL_3PL = "local_3pl"
    HUB = "hub"
    ORIGIN = "origin"
    NONE = "none"  # returnless refund / local disposal

    @staticmethod
    def of(kind: FacilityKind) -> DestinationKind:
        return {
            FacilityKind.LOCAL_3PL: DestinationKind.LOCAL_3PL,
            FacilityKind.HUB: DestinationKind.HUB,
            FacilityKind.ORIGIN: DestinationKind.ORIGIN,
        }[kind]


class LegKind(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    PARCEL = "parcel"
    LINEHAUL = "linehaul"


# -- validators shared by the domain objects and the wire converter -------------------------


class Violations:
    """Collects field violations so one error can name every bad field at once."""

    def __init__(self) -> None:
        self.items: list[FieldViolation] = []

    def add(self, path: str, description: str) -> None:
        self.items.append(FieldViolation(path, description))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInput(self.items)


def check_string(v: Violations, path: str, value: str, *, required: bool = True) -> None:
    if len(value.encode("utf-8")) > MAX_STRING_BYTES:
        v.add(path, f"longer than {MAX_STRING_BYTES} bytes")
    elif required and not value.strip():
        v.add(path, "is required")


def check_country(v: Violations, path: str, value: str) -> None:
    if not value:
        v.add(path, "is required (ISO 3166-1 alpha-2)")
    elif not is_country(value):
        v.add(path, f"unknown country code {value[:8]!r} (ISO 3166-1 alpha-2, upper case)")


def check_currency(v: Violations, path: str, value: str) -> None:
    if not value:
        v.add(path, "is required (ISO 4217)")
    elif not is_currency(value):
        v.add(path, f"unknown currency {value[:8]!r} (ISO 4217, upper case)")


def check_int_range(v: Violations, path: str, value: float, lo: int, hi: int) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        v.add(path, "must be a finite number")
    elif value != int(value):
        v.add(path, "must be a whole number")
    elif not lo <= value <= hi:
        v.add(path, f"must be between {lo} and {hi}, got {value}")


def check_hs_code(v: Violations, path: str, value: str) -> None:
    if not is_hs_code(value):
        v.add(path, f"must be 6 to 10 digits, got {value[:16]!r}")


def check_postal_code(v: Violations, path: str, value: str) -> None:
    if not _POSTAL_RE.fullmatch(value):
        v.add(path, "must be 1-12 letters, digits, spaces or hyphens")


T = TypeVar("T")


def checked(validate: Callable[[Violations, str, T], None], path: str, obj: T) -> T:
    """``obj`` once ``validate`` (validate_item, validate_return) finds nothing wrong with it;
    else InvalidInput naming every bad field under ``path``. For readers that build domain
    objects straight from outside input (batch rows, command-line flags)."""
    v = Violations()
    validate(v, path, obj)
    v.raise_if_any()
    return obj


def _broken(validate: Callable[[Violations, str, T], None], path: str, obj: T) -> NoReturn:
    """Raise what ``validate`` finds wrong with ``obj`` (an invariant failed, so it finds
    something; if it does not, the invariant and the rules disagree: a bug, said so)."""
    v = Violations()
    validate(v, path, obj)
    v.raise_if_any()
    raise AssertionError(f"{type(obj).__name__}: an invariant failed that no rule names")


# -- the request --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    hs_code: str
    value_minor: int  # per unit, what the customer paid for the goods
    currency: str
    weight_g: int  # per unit
    dims_mm: tuple[int, int, int]  # per unit, length x width x height
    quantity: int
    grade: ConditionGrade
    reason: ReturnReason

    def __post_init__(self) -> None:
        # Invariants only (what costing relies on): readers validate every field with its path
        # first (validate_item); the full rules run here only to name what is broken.
        if not (
            1 <= self.quantity <= MAX_QUANTITY
            and 1 <= self.weight_g <= MAX_WEIGHT_G
            and 1 <= self.value_minor <= MAX_VALUE_MINOR
            and len(self.dims_mm) == 3
            and all(1 <= d <= MAX_DIMENSION_MM for d in self.dims_mm)
        ):
            _broken(validate_item, "item", self)

    @property
    def volume_cm3(self) -> int:
        length, width, height = self.dims_mm
        return (length * width * height) // 1000


def validate_item(v: Violations, path: str, item: Item) -> None:
    check_string(v, f"{path}.sku", item.sku)
    check_hs_code(v, f"{path}.hs_code", item.hs_code)
    check_int_range(v, f"{path}.value_minor", item.value_minor, 1, MAX_VALUE_MINOR)
    check_currency(v, f"{path}.currency", item.currency)
    check_int_range(v, f"{path}.weight_g", item.weight_g, 1, MAX_WEIGHT_G)
    if len(item.dims_mm) != 3:
        v.add(f"{path}.dimensions_mm", "needs length, width and height")
    else:
        for axis, d in zip(("length", "width", "height"), item.dims_mm, strict=True):
            check_int_range(v, f"{path}.dimensions_mm.{axis}", d, 1, MAX_DIMENSION_MM)
    check_int_range(v, f"{path}.quantity", item.quantity, 1, MAX_QUANTITY)


@dataclass(frozen=True, slots=True)
class Constraints:
    max_days_to_refund: int | None = None
    allow_returnless: bool = True
    allow_split: bool = True
    max_alternatives: int = 5

    def __post_init__(self) -> None:
        v = Violations()
        if self.max_days_to_refund is not None:
            check_int_range(
                v, "constraints.max_days_to_refund", self.max_days_to_refund, 0, MAX_DAYS_TO_REFUND
            )
        check_int_range(
            v, "constraints.max_alternatives", self.max_alternatives, 0, MAX_ALTERNATIVES
        )
        v.raise_if_any()


@dataclass(frozen=True, slots=True)
class MerchantPolicy:
    """The merchant's policy for one return; ``None`` takes the network's default.

    Caps are per unit value, in ``currency`` (required when a cap is set): ``keep_it`` is the
    refund without a return (the customer keeps the goods), ``local_disposal`` the refund when
    the customer drops the goods at a local partner (donate, recycle, liquidate). The loss
    guard flags a decision whose net cost exceeds ``max_loss_bp`` of the goods' value.
    ``refund_trigger`` is when the customer is refunded (days to refund count to it)."""

    keep_it_max_value_minor: int | None = None
    local_disposal_max_value_minor: int | None = None
    currency: str = ""
    max_loss_bp: int | None = None
    refund_trigger: RefundTrigger | None = None
    allow_local_disposal: bool = True

    def __post_init__(self) -> None:
        v = Violations()
        validate_policy(v, "policy", self)
        v.raise_if_any()


def validate_policy(v: Violations, path: str, p: MerchantPolicy) -> None:
    for name in ("keep_it_max_value_minor", "local_disposal_max_value_minor"):
        value = getattr(p, name)
        if value is not None:
            check_int_range(v, f"{path}.{name}", value, 0, MAX_VALUE_MINOR)
    has_cap = p.keep_it_max_value_minor is not None or p.local_disposal_max_value_minor is not None
    if p.currency or has_cap:
        check_currency(v, f"{path}.currency", p.currency)
    if p.max_loss_bp is not None:
        check_int_range(v, f"{path}.max_loss_bp", p.max_loss_bp, 0, MAX_LOSS_BP)


@dataclass(frozen=True, slots=True)
class Return:
    items: tuple[Item, ...]
    customer_country: str
    customer_postal_code: str
    origin_facility_id: str
    import_date: date  # when the goods entered the customer's country on the outbound sale
    duty_paid_minor: int  # at that import, in ``paid_currency``
    vat_paid_minor: int
    paid_currency: str
    return_date: date  # the day the return is routed (customs rules in force that day)
    idempotency_key: str = ""
    vat_collected_at_checkout: bool = False
    customer_territory: str = ""  # ISO 3166-2 where customs cares (ES-CN Canary Islands ...)
    constraints: Constraints = field(default_factory=Constraints)
    policy: MerchantPolicy = field(default_factory=MerchantPolicy)

    def __post_init__(self) -> None:
        # Invariants only, as Item's: readers validate with paths first (validate_return)
        if not (
            0 < len(self.items) <= MAX_ITEMS
            and 0 <= self.duty_paid_minor <= MAX_VALUE_MINOR
            and 0 <= self.vat_paid_minor <= MAX_VALUE_MINOR
            and self.import_date <= self.return_date <= LATEST_DATE
        ):
            _broken(validate_return, "return", self)

    @property
    def units(self) -> int:
        return sum(i.quantity for i in self.items)


def validate_return(v: Violations, path: str, r: Return) -> None:
    if not r.items:
        v.add(f"{path}.items", "at least one item is required")
    elif len(r.items) > MAX_ITEMS:
        v.add(f"{path}.items", f"at most {MAX_ITEMS} item lines, got {len(r.items)}")
    check_country(v, f"{path}.customer.country", r.customer_country)
    check_postal_code(v, f"{path}.customer.postal_code", r.customer_postal_code)
    check_string(v, f"{path}.origin_facility_id", r.origin_facility_id)
    check_string(v, f"{path}.idempotency_key", r.idempotency_key, required=False)
    check_int_range(v, f"{path}.import.duty_paid_minor", r.duty_paid_minor, 0, MAX_VALUE_MINOR)
    check_int_range(v, f"{path}.import.vat_paid_minor", r.vat_paid_minor, 0, MAX_VALUE_MINOR)
    check_currency(v, f"{path}.import.currency", r.paid_currency)
    if r.import_date > r.return_date:
        v.add(f"{path}.import.import_date", "is after the return date")
    if r.return_date > LATEST_DATE:
        v.add(f"{path}.return_date", f"must be on or before {LATEST_DATE}, got {r.return_date}")


# -- the decision -------------------------------------------------------------------------


class Term(enum.Enum):
    """Named terms of the net cost. Positive = cost, negative = credit."""

    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    PARCEL_CARRIAGE = "parcel_carriage"
    FUEL_SURCHARGE = "fuel_surcharge"
    CARRIER_FEES = "carrier_fees"
    LINEHAUL_SHARE = "linehaul_share"
    HANDLING = "handling"
    DISPOSITION_COST = "disposition_cost"
    DUTY_DUE = "duty_due"
    IMPORT_VAT_DUE = "import_vat_due"
    DUTY_RECLAIM = "duty_reclaim"
    VAT_RECLAIM = "vat_reclaim"
    RECOVERY_VALUE = "recovery_value"
    REFUND_DELAY = "refund_delay"
    RESALE_DELAY = "resale_delay"
    CO2E = "co2e"


@dataclass(frozen=True, slots=True)
class CostTerm:
    term: Term
    amount_minor: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Leg:
    kind: LegKind
    service_id: str
    carrier: str
    service_name: str
    mode: Mode
    from_country: str
    to_country: str
    to_facility: str
    distance_km: int
    transit_days: int
    billable_weight_g: int
    charge_minor: int  # everything the carrier bills for this leg, in the network currency


@dataclass(frozen=True, slots=True)
class ItemAllocation:
    sku: str
    quantity: int
    disposition: Disposition
    recovery_minor: int


@dataclass(frozen=True, slots=True)
class Shipment:
    """One parcel (or none, for returnless) of a return to one destination."""

    destination_id: str  # facility id; "" for returnless
    destination_kind: DestinationKind
    destination_country: str
    items: tuple[ItemAllocation, ...]
    legs: tuple[Leg, ...]
    terms: tuple[CostTerm, ...]
    customs: tuple[Assessment, ...]
    days_to_refund: int
    days_to_resale: int | None  # None when nothing is resold
    co2e_g: int
    net_cost_minor: int = field(init=False, compare=False)  # the sum of the terms

    def __post_init__(self) -> None:
        object.__setattr__(self, "net_cost_minor", sum(t.amount_minor for t in self.terms))


def _shipment_label(s: Shipment) -> str:
    if not s.legs:
        kept = any(a.disposition is Disposition.RETURNLESS for a in s.items)
        return ("returnless/" if kept else "local/") + "+".join(
            sorted({a.disposition.value for a in s.items})
        )
    stops = ">".join(leg.to_facility for leg in s.legs)
    services = ">".join(leg.service_id for leg in s.legs)
    dispositions = "+".join(sorted({a.disposition.value for a in s.items}))
    return f"{stops}/{dispositions}/{services}"


@dataclass(frozen=True, slots=True)
class Option:
    """A whole answer for one return: one shipment, or several when the return is split."""

    shipments: tuple[Shipment, ...]
    reason_codes: tuple[str, ...] = ()
    net_cost_minor: int = field(init=False, compare=False)  # the sum over the shipments

    def __post_init__(self) -> None:
        object.__setattr__(self, "net_cost_minor", sum(s.net_cost_minor for s in self.shipments))

    @property
    def days_to_refund(self) -> int:
        return max(s.days_to_refund for s in self.shipments)

    @property
    def days_to_resale(self) -> int | None:
        days = [s.days_to_resale for s in self.shipments if s.days_to_resale is not None]
        return max(days) if days else None

    @property
    def co2e_g(self) -> int:
        return sum(s.co2e_g for s in self.shipments)

    @property
    def label(self) -> str:
        """``destination/disposition/service``; via a hub ``hub>destination/.../service>lane``."""
        return " + ".join(_shipment_label(s) for s in self.shipments)

    def totals(self) -> dict[Term, int]:
        out: dict[Term, int] = {}
        for s in self.shipments:
            for t in s.terms:
                out[t.term] = out.get(t.term, 0) + t.amount_minor
        return out


LOSS_CODE = "LOSS_OVER_THRESHOLD"  # reason code: "LOSS_OVER_THRESHOLD:<threshold minor>"
EXCLUDED_CODE = "CHEAPEST_EXCLUDED"  # "CHEAPEST_EXCLUDED:<violation type>:<net minor>:<label>"


@dataclass(frozen=True, slots=True)
class LossGuard:
    """The loss guard's finding: even the chosen option loses more than the policy's
    threshold (``loss_minor`` > ``threshold_minor``), and the cheapest option the router
    excluded, with why (a violation type such as ``RETURNLESS_OVER_VALUE``), when there is one.

    It travels as two reason codes of the chosen option (``LOSS_CODE``, ``EXCLUDED_CODE``), so a
    stored decision keeps it and ``Decision.loss_guard`` reads it back."""

    loss_minor: int  # the chosen option's net cost
    threshold_minor: int  # max_loss_bp of the goods' value
    excluded_label: str = ""  # the cheapest excluded option ("" when none was cheaper)
    excluded_net_cost_minor: int = 0
    excluded_because: str = ""  # its violation type

    def reason_codes(self) -> tuple[str, ...]:
        codes = [f"{LOSS_CODE}:{self.threshold_minor}"]
        if self.excluded_label:
            codes.append(
                f"{EXCLUDED_CODE}:{self.excluded_because}:{self.excluded_net_cost_minor}"
                f":{self.excluded_label}"
            )
        return tuple(codes)

    @staticmethod
    def of(option: Option) -> LossGuard | None:
        """The loss guard the reason codes of ``option`` carry, if any."""
        threshold: int | None = None
        label = because = ""
        excluded = 0
        for code in option.reason_codes:
            name, _, rest = code.partition(":")
            if name == LOSS_CODE and rest.lstrip("-").isdigit():
                threshold = int(rest)
            elif name == EXCLUDED_CODE:
                because, _, rest = rest.partition(":")
                amount, _, label = rest.partition(":")
                excluded = int(amount) if amount.lstrip("-").isdigit() else 0
        if threshold is None:
            return None
        return LossGuard(option.net_cost_minor, threshold, label, excluded, because)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An option the router dropped, and why (the precondition it failed)."""

    option: str  # the route key ("service:first_stop[>lane]"), or "returnless"
    reason: str  # OVER_MAX_SIZE, OVER_MAX_WEIGHT, SLA_EXCEEDED, RETURNLESS_OVER_VALUE,
    #              CAPACITY_FULL, CUSTOMS_NOT_COVERED ... (PreconditionViolation.type)
    subject: str  # what failed it: "service:...", "facility:...", "destination:..."
    description: str  # the figures: "32000 g > 30000 g", "9 days to refund > max 7"


@dataclass(frozen=True, slots=True)
class Decision:
    decision_id: str
    idempotency_key: str
    currency: str
    chosen: Option
    alternatives: tuple[Option, ...]  # ranked, cheapest first, the chosen one excluded
    options_evaluated: int
    network_name: str
    return_date: date
    # every option dropped as infeasible, in the order the router met them
    excluded: tuple[Exclusion, ...] = ()
    # what it was made with, to replay it: content hashes of the network and of the customs
    # tables and FX ("" when unknown), and the canonical request (None: not kept, e.g. read
    # from the wire, or stored before replay existed)
    network_version: str = ""
    rules_version: str = ""
    request: Return | None = None

    @property
    def loss_guard(self) -> LossGuard | None:
        """Set when even the chosen option loses more than the policy's threshold (from the
        chosen option's reason codes)."""
        return LossGuard.of(self.chosen)
