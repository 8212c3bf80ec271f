"""Hypothesis strategies for valid domain objects, shared by every test.

Each strategy draws objects that pass their own validation (and the wire converter's).
Keyword arguments narrow a strategy to what a test needs, e.g. the countries a network
serves or the facility ids it knows::

    @given(returns(countries=st.sampled_from(["DE", "FR"]), origin_facility_ids=st.just("ORIG-CN")))

Sizes are kept small (a few items, shipments and legs) so properties run fast; integer fields
stay within the ranges the wire carries (int32 counts and days, int64 money and grams).
"""

from __future__ import annotations

import operator
import string
from datetime import date

import pycountry
from hypothesis import strategies as st

from customs.api import (
    Assessment,
    Claimant,
    Confidence,
    Document,
    FxConversion,
    Reclaim,
    ReturnReason,
    RuleRef,
)
from hubs.model import ConditionGrade, Disposition, Mode, RefundTrigger
from routing.decide.domain import (
    MAX_DIMENSION_MM,
    MAX_QUANTITY,
    MAX_VALUE_MINOR,
    MAX_WEIGHT_G,
    Constraints,
    CostTerm,
    Decision,
    DestinationKind,
    Item,
    ItemAllocation,
    Leg,
    LegKind,
    MerchantPolicy,
    Option,
    Return,
    Shipment,
    Term,
)
from routing.solver.problem import CapacityRow, ClassOption, DispatchLane, PlanProblem, ReturnClass

__all__ = [
    "ALL_COUNTRIES",
    "ALL_CURRENCIES",
    "COMMON_CURRENCIES",
    "assessments",
    "constraints",
    "cost_terms",
    "dates",
    "decisions",
    "hs_codes",
    "identifiers",
    "item_allocations",
    "items",
    "legs",
    "merchant_policies",
    "options",
    "postal_codes",
    "returns",
    "rule_refs",
    "shipments",
    "skus",
    "texts",
]

ALL_COUNTRIES: tuple[str, ...] = tuple(sorted(c.alpha_2 for c in pycountry.countries))
ALL_CURRENCIES: tuple[str, ...] = tuple(sorted(c.alpha_3 for c in pycountry.currencies))
COMMON_CURRENCIES: tuple[str, ...] = (
    "EUR",
    "GBP",
    "USD",
    "CHF",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "JPY",
    "AUD",
    "NZD",
    "CAD",
    "SGD",
    "CNY",
)

MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)
_MAX_DAYS = 3650  # int32 on the wire; ten years is plenty for any day count here
_MAX_MONEY = 10**12  # int64 on the wire; decision amounts may be negative (credits)


def texts(max_size: int = 24) -> st.SearchStrategy[str]:
    """Free text (any Unicode but surrogates), as in names, details and notes."""
    return st.text(max_size=max_size)


_ALNUM = string.ascii_letters + string.digits
_UPPER = string.ascii_uppercase + string.digits


def identifiers() -> st.SearchStrategy[str]:
    """Ids of facilities, services, rules and sources: ``[A-Za-z0-9_-]``, 1-24 characters."""
    return st.text(alphabet=_ALNUM + "_-", min_size=1, max_size=24)


def skus() -> st.SearchStrategy[str]:
    """Non-blank text of at most 32 characters (128 bytes): any merchant SKU we accept."""
    return st.text(min_size=1, max_size=32).filter(lambda s: s.strip() != "")


def hs_codes() -> st.SearchStrategy[str]:
    return st.text(alphabet=string.digits, min_size=6, max_size=10)


def postal_codes() -> st.SearchStrategy[str]:
    first = st.sampled_from(_ALNUM)
    return st.builds(operator.add, first, st.text(alphabet=_ALNUM + " -", max_size=11))


def dates(min_value: date = MIN_DATE, max_value: date = MAX_DATE) -> st.SearchStrategy[date]:
    return st.dates(min_value=min_value, max_value=max_value)


def _countries(countries: st.SearchStrategy[str] | None) -> st.SearchStrategy[str]:
    return countries if countries is not None else st.sampled_from(ALL_COUNTRIES)


def _currencies(currencies: st.SearchStrategy[str] | None) -> st.SearchStrategy[str]:
    return currencies if currencies is not None else st.sampled_from(COMMON_CURRENCIES)


# -- the request ----------------------------------------------------------------------------


@st.composite
def items(
    draw: st.DrawFn,
    *,
    currencies: st.SearchStrategy[str] | None = None,
    max_quantity: int = MAX_QUANTITY,
) -> Item:
    """A valid item line (per-unit value, weight and size anywhere in their accepted ranges)."""
    return Item(
        sku=draw(skus()),
        hs_code=draw(hs_codes()),
        value_minor=draw(st.integers(1, MAX_VALUE_MINOR)),
        currency=draw(_currencies(currencies)),
        weight_g=draw(st.integers(1, MAX_WEIGHT_G)),
        dims_mm=(
            draw(st.integers(1, MAX_DIMENSION_MM)),
            draw(st.integers(1, MAX_DIMENSION_MM)),
            draw(st.integers(1, MAX_DIMENSION_MM)),
        ),
        quantity=draw(st.integers(1, max_quantity)),
        grade=draw(st.sampled_from(ConditionGrade)),
        reason=draw(st.sampled_from(ReturnReason)),
    )


def constraints() -> st.SearchStrategy[Constraints]:
    return st.builds(
        Constraints,
        max_days_to_refund=st.none() | st.integers(0, 365),
        allow_returnless=st.booleans(),
        allow_split=st.booleans(),
        max_alternatives=st.integers(0, 50),
    )


@st.composite
def merchant_policies(
    draw: st.DrawFn, *, currencies: st.SearchStrategy[str] | None = None
) -> MerchantPolicy:
    """A valid merchant policy: caps (with their currency) or none, a loss threshold, a
    refund trigger, local disposal allowed or not."""
    keep_it = draw(st.none() | st.integers(0, MAX_VALUE_MINOR))
    local = draw(st.none() | st.integers(0, MAX_VALUE_MINOR))
    has_cap = keep_it is not None or local is not None
    return MerchantPolicy(
        keep_it_max_value_minor=keep_it,
        local_disposal_max_value_minor=local,
        currency=draw(_currencies(currencies)) if has_cap else "",
        max_loss_bp=draw(st.none() | st.integers(0, 1_000_000)),
        refund_trigger=draw(st.none() | st.sampled_from(RefundTrigger)),
        allow_local_disposal=draw(st.booleans()),
    )


@st.composite
def returns(
    draw: st.DrawFn,
    *,
    countries: st.SearchStrategy[str] | None = None,
    currencies: st.SearchStrategy[str] | None = None,
    origin_facility_ids: st.SearchStrategy[str] = identifiers(),  # noqa: B008 - immutable
    min_items: int = 1,
    max_items: int = 5,
    return_dates: st.SearchStrategy[date] = dates(),  # noqa: B008
    policies: st.SearchStrategy[MerchantPolicy] = st.just(MerchantPolicy()),  # noqa: B008
) -> Return:
    """A valid return: 1-5 item lines by default, imported on or before the return date."""
    country = draw(_countries(countries))
    return_date = draw(return_dates)
    import_date = draw(dates(min_value=min(MIN_DATE, return_date), max_value=return_date))
    territory = draw(
        st.just("")
        | st.text(alphabet=_UPPER, min_size=1, max_size=3).map(lambda s: f"{country}-{s}")
    )
    return Return(
        items=tuple(
            draw(st.lists(items(currencies=currencies), min_size=min_items, max_size=max_items))
        ),
        customer_country=country,
        customer_postal_code=draw(postal_codes()),
        origin_facility_id=draw(origin_facility_ids),
        import_date=import_date,
        duty_paid_minor=draw(st.integers(0, MAX_VALUE_MINOR)),
        vat_paid_minor=draw(st.integers(0, MAX_VALUE_MINOR)),
        paid_currency=draw(_currencies(currencies)),
        return_date=return_date,
        idempotency_key=draw(st.just("") | identifiers()),
        vat_collected_at_checkout=draw(st.booleans()),
        customer_territory=territory,
        constraints=draw(constraints()),
        policy=draw(policies),
    )


# -- the decision ---------------------------------------------------------------------------


def _money() -> st.SearchStrategy[int]:
    return st.integers(-_MAX_MONEY, _MAX_MONEY)


def _days() -> st.SearchStrategy[int]:
    return st.integers(0, _MAX_DAYS)


@st.composite
def rule_refs(draw: st.DrawFn) -> RuleRef:
    effective_from = draw(dates())
    return RuleRef(
        rule_id=draw(identifiers()),
        legal_basis=draw(texts()),
        source_ids=tuple(draw(st.lists(identifiers(), max_size=2))),
        effective_from=effective_from,
        effective_to=draw(st.none() | dates(min_value=effective_from)),
        confidence=draw(st.sampled_from(Confidence)),
    )


def _fx(currency: str) -> st.SearchStrategy[FxConversion]:
    return st.builds(
        FxConversion,
        from_currency=st.sampled_from(COMMON_CURRENCIES),
        to_currency=st.just(currency),
        rate=st.decimals(min_value=0, max_value=1000, places=5).map(str),
        rate_date=dates(),
        amount_from_minor=st.integers(0, _MAX_MONEY),
        amount_to_minor=st.integers(0, _MAX_MONEY),
        source_id=identifiers(),
    )


def _reclaims() -> st.SearchStrategy[Reclaim]:
    return st.builds(
        Reclaim,
        route=texts(),
        duty_minor=st.integers(0, _MAX_MONEY),
        vat_minor=st.integers(0, _MAX_MONEY),
        deadline=dates(),
        claimant=st.sampled_from(Claimant),
        conditions=st.lists(texts(), max_size=2).map(tuple),
        documents=st.lists(identifiers(), max_size=2).map(tuple),
        rule=rule_refs(),
        export_by=st.none() | dates(),
        note=texts(),
    )


def _documents() -> st.SearchStrategy[Document]:
    return st.builds(Document, code=identifiers(), name=texts(), reason=texts(), rule=rule_refs())


@st.composite
def assessments(draw: st.DrawFn, *, currency: str | None = None) -> Assessment:
    """A customs assessment of one crossing, every amount in ``currency``."""
    cur = currency if currency is not None else draw(st.sampled_from(COMMON_CURRENCIES))
    # the two borders, or None for both (an assessment stored before they were split)
    customs_border, vat_border = draw(
        st.one_of(st.just((None, None)), st.tuples(st.booleans(), st.booleans()))
    )
    recorded = customs_border is not None
    return Assessment(
        export_country=draw(st.sampled_from(ALL_COUNTRIES)),
        import_country=draw(st.sampled_from(ALL_COUNTRIES)),
        border=bool(customs_border or vat_border) if recorded else draw(st.booleans()),
        customs_border=customs_border,
        vat_border=vat_border,
        union=draw(st.sampled_from(["", "EU", "EU-TR", "CH-LI", "SACU"])),
        currency=cur,
        duty_due_minor=draw(st.integers(0, _MAX_MONEY)),
        vat_due_minor=draw(st.integers(0, _MAX_MONEY)),
        relief=draw(texts()),
        de_minimis=draw(texts()),
        reclaims=tuple(draw(st.lists(_reclaims(), max_size=1))),
        documents=tuple(draw(st.lists(_documents(), max_size=1))),
        rules=tuple(draw(st.lists(rule_refs(), max_size=2))),
        fx=tuple(draw(st.lists(_fx(cur), max_size=1))),
        confidence=draw(st.sampled_from(Confidence)),
        notes=tuple(draw(st.lists(texts(), max_size=1))),
    )


def legs() -> st.SearchStrategy[Leg]:
    return st.builds(
        Leg,
        kind=st.sampled_from(LegKind),
        service_id=identifiers(),
        carrier=texts(),
        service_name=texts(),
        mode=st.sampled_from(Mode),
        from_country=st.sampled_from(ALL_COUNTRIES),
        to_country=st.sampled_from(ALL_COUNTRIES),
        to_facility=identifiers(),
        distance_km=st.integers(0, 40_000),
        transit_days=st.integers(0, 120),
        billable_weight_g=st.integers(0, 10**12),
        charge_minor=st.integers(0, _MAX_MONEY),
    )


def item_allocations() -> st.SearchStrategy[ItemAllocation]:
    return st.builds(
        ItemAllocation,
        sku=skus(),
        quantity=st.integers(1, MAX_QUANTITY),
        disposition=st.sampled_from(Disposition),
        recovery_minor=st.integers(0, _MAX_MONEY),
    )


def cost_terms() -> st.SearchStrategy[CostTerm]:
    return st.builds(CostTerm, term=st.sampled_from(Term), amount_minor=_money(), detail=texts())


@st.composite
def shipments(draw: st.DrawFn, *, currency: str | None = None) -> Shipment:
    returnless = draw(st.booleans())
    return Shipment(
        destination_id="" if returnless else draw(identifiers()),
        destination_kind=DestinationKind.NONE
        if returnless
        else draw(st.sampled_from([k for k in DestinationKind if k is not DestinationKind.NONE])),
        destination_country=draw(st.sampled_from(ALL_COUNTRIES)),
        items=tuple(draw(st.lists(item_allocations(), min_size=1, max_size=3))),
        legs=() if returnless else tuple(draw(st.lists(legs(), min_size=1, max_size=2))),
        terms=tuple(draw(st.lists(cost_terms(), max_size=4))),
        customs=tuple(draw(st.lists(assessments(currency=currency), max_size=2))),
        days_to_refund=draw(_days()),
        days_to_resale=draw(st.none() | _days()),
        co2e_g=draw(st.integers(0, 10**9)),
    )


@st.composite
def options(draw: st.DrawFn, *, currency: str | None = None) -> Option:
    """An option of 1-2 shipments (two: a split return)."""
    return Option(
        shipments=tuple(draw(st.lists(shipments(currency=currency), min_size=1, max_size=2))),
        reason_codes=tuple(
            draw(st.lists(st.text(alphabet=_UPPER + "_", min_size=1, max_size=24), max_size=3))
        ),
    )


@st.composite
def decisions(draw: st.DrawFn, *, max_alternatives: int = 2) -> Decision:
    """A decision in one currency with up to ``max_alternatives`` alternatives."""
    currency = draw(st.sampled_from(COMMON_CURRENCIES))
    alternatives = tuple(draw(st.lists(options(currency=currency), max_size=max_alternatives)))
    return Decision(
        decision_id=draw(identifiers()),
        idempotency_key=draw(st.just("") | identifiers()),
        currency=currency,
        chosen=draw(options(currency=currency)),
        alternatives=alternatives,
        options_evaluated=draw(st.integers(1 + len(alternatives), 10_000)),
        network_name=draw(texts()),
        return_date=draw(dates()),
    )


@st.composite
def plan_problems(
    draw: st.DrawFn,
    *,
    max_facilities: int = 2,
    max_capacity: int = 6,
    max_lanes: int = 1,
    max_classes: int = 3,
    max_count: int = 2,
) -> PlanProblem:
    """Small plan problems: facilities (some scarce, some with fixed costs), lanes, and classes
    whose options use them, costs possibly negative (net recoveries)."""
    m = draw(st.integers(0, max_facilities))
    facilities = tuple(
        CapacityRow(
            capacity=draw(st.integers(0, max_capacity)),
            fixed_cost_minor=draw(st.none() | st.integers(0, 20)),
        )
        for _ in range(m)
    )
    n_lanes = draw(st.integers(0, max_lanes))
    lanes = tuple(
        DispatchLane(fixed_cost_minor=draw(st.integers(0, 12)), capacity=draw(st.integers(1, 4)))
        for _ in range(n_lanes)
    )
    classes = []
    for _ in range(draw(st.integers(1, max_classes))):
        options = []
        for _ in range(draw(st.integers(1, 3))):
            fac = draw(st.none() | st.integers(0, m - 1)) if m else None
            lane = draw(st.none() | st.integers(0, n_lanes - 1)) if n_lanes else None
            options.append(
                ClassOption(
                    cost_minor=draw(st.integers(-5, 30)),
                    facility=fac,
                    lane=lane,
                    lane_load=draw(st.integers(1, 3)) if lane is not None else 0,
                )
            )
        classes.append(
            ReturnClass(
                count=draw(st.integers(1, max_count)),
                demand=draw(st.integers(0, 3)),
                options=tuple(options),
            )
        )
    return PlanProblem(classes=tuple(classes), facilities=facilities, lanes=lanes)
