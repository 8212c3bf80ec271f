"""Typed rows of the customs rule tables (``customs/data/*.toml``).

Every rule row carries a ``RuleRef`` (id, legal basis, source ids, dates, confidence): whatever the
engine decides from a row, it cites that ref. ``effective_to`` is the last day in force
(inclusive); ``None`` means open-ended. Amounts are integer minor units of the row's currency,
rates are basis points (1/100 of a percent), time limits are ISO 8601 periods.

Also the row-level helpers every part of the engine shares: ``in_force``, ``first_in_force`` and
``group`` (to index rows once), ``weakest`` confidence and ``apply_bp``.
"""

from __future__ import annotations

import calendar
import enum
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple, Protocol, TypeVar

from customs.api import Channel, Claimant, Confidence, ReturnReason, RuleRef

BP_DENOMINATOR = 10_000  # basis points per unit (100 %)


def in_force(rule: RuleRef, on: date) -> bool:
    return rule.effective_from <= on and (rule.effective_to is None or on <= rule.effective_to)


def low_confidence_notes(
    rules: Iterable[RuleRef], unverified: Mapping[str, str]
) -> tuple[str, ...]:
    """A note per cited row that makes an answer low confidence (``RuleBook.unverified``):
    which row, and why."""
    return tuple(
        f"low confidence: {rule.rule_id}: {unverified[rule.rule_id]}"
        for rule in rules
        if rule.rule_id in unverified
    )


def weakest(confidences: Iterable[Confidence]) -> Confidence:
    """The lowest confidence, ``HIGH`` for none (by membership: enum hashing is slow)."""
    found = tuple(confidences)
    if Confidence.LOW in found:
        return Confidence.LOW
    return Confidence.MEDIUM if Confidence.MEDIUM in found else Confidence.HIGH


def month_days(year: int, month: int) -> int:
    """The number of days in a month (``calendar.monthrange`` without the weekday work)."""
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def apply_bp(amount_minor: int, rate_bp: int) -> int:
    """``amount x rate`` rounded half-even to a whole minor unit (integers only)."""
    quotient, remainder = divmod(amount_minor * rate_bp, BP_DENOMINATOR)
    twice = 2 * remainder
    if twice > BP_DENOMINATOR or (twice == BP_DENOMINATOR and quotient % 2 == 1):
        quotient += 1
    return quotient


# -- small value types ----------------------------------------------------------------------


_PERIOD_RE = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$")


@dataclass(frozen=True, slots=True)
class Period:
    """An ISO 8601 calendar period (``P1Y``, ``P6M``, ``P90D``)."""

    years: int = 0
    months: int = 0
    days: int = 0

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD_RE.match(text)
        if match is None or text == "P":
            raise ValueError(f"not an ISO 8601 period of years/months/days: {text!r}")
        years, months, days = (int(g) if g else 0 for g in match.groups())
        return cls(years, months, days)

    def after(self, start: date) -> date:
        """``start`` plus this period; a day past the end of a month clamps to its last day."""
        end = start
        if self.years or self.months or type(start) is not date:  # (always returns a date)
            month_index = start.month - 1 + self.months + 12 * self.years
            year, month = start.year + month_index // 12, month_index % 12 + 1
            day = start.day if start.day <= 28 else min(start.day, month_days(year, month))
            end = date(year, month, day)
        return end + timedelta(days=self.days) if self.days else end

    def __str__(self) -> str:
        units = ((self.years, "Y"), (self.months, "M"), (self.days, "D"))
        return "P" + ("".join(f"{n}{unit}" for n, unit in units if n) or "0D")


class Op(enum.Enum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    def holds(self, left: int, right: int) -> bool:
        return _COMPARISONS[self._value_](left, right)


_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Condition:
    """``value <op> amount`` with the value converted to ``currency`` first."""

    op: Op
    amount_minor: int
    currency: str
    # the test as text, e.g. "<= 150.00 CAD" (derived by the loader, so not compared)
    text: str = field(default="", compare=False, repr=False)


class Basis(enum.Enum):
    VALUE = "value"  # the consignment value
    AMOUNT = "amount"  # the tax amount itself


@dataclass(frozen=True, slots=True)
class Exemption:
    basis: Basis
    condition: Condition


class UnionKind(enum.Enum):
    FULL = "full"  # one customs territory: no border between members
    PARTIAL = "partial"  # border crossed; duty-free for some goods


class Exit(enum.Enum):
    CUSTOMS = "customs"  # the goods must leave the regime's customs territory
    BORDER = "border"  # any border (customs or VAT) will do


class ClaimFrom(enum.Enum):
    IMPORT = "import"
    EXPORT = "export"
    EXPORT_MONTH_END = "export_month_end"


class Trigger(enum.Enum):
    BORDER = "border"
    EXPORT = "export"
    RELIEF = "relief"
    RECLAIM = "reclaim"


# -- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str
    kind: str
    origin: str  # "fact_base" (../shared/reference/customs_facts.json) or "reroute" (added)


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    name: str
    exponent: int
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    name: str
    imports_assessable: bool
    sources: tuple[str, ...]
    note: str = ""
    # ISO 4217 codes of the country's legal tender, its own currency first (LS: LSL, ZAR)
    currencies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnionRow:
    rule: RuleRef
    code: str
    name: str
    kind: UnionKind
    members: frozenset[str]  # FULL: countries; PARTIAL: parties (a full union's code or a country)
    vat_border_between_members: bool
    duty_free_chapters: frozenset[int]
    documents: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class TerritoryRow:
    rule: RuleRef
    code: str
    country: str
    name: str
    in_customs_territory: bool
    in_vat_area: bool
    note: str = ""
    # a full union's code whose customs territory and VAT area the territory follows for goods
    # although its country is not a member (Northern Ireland: "EU", Windsor Framework); "" = none
    goods_area: str = ""
    # another country whose customs territory and VAT area the territory is part of by treaty
    # (Busingen: "CH"); "" = none. Excludes goods_area.
    customs_country: str = ""


@dataclass(frozen=True, slots=True)
class MovementRow:
    """Goods moving in one direction between two places whose customs status differs although
    they belong to one country (Great Britain -> Northern Ireland). Overrides the border test of
    that direction; the other direction has its own row (or none)."""

    rule: RuleRef
    origin: str  # a country code or a territories.toml code (the zone's place)
    destination: str
    border: bool  # false: no formalities and no charges whatever the areas say
    # the goods leave the export side's customs territory: its export documents and the
    # reclaim routes that need a customs exit apply (border movements only)
    leaves_customs_territory: bool
    relief: bool  # returned-goods relief of the import side may be granted on re-entry
    documents: tuple[str, ...]  # document codes required on the movement
    note: str = ""


@dataclass(frozen=True, slots=True)
class VatRow:
    rule: RuleRef
    area: str  # country, or a subdivision/territory code whose rate differs
    rate_bp: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class DeMinimisRow:
    rule: RuleRef
    regime: str
    origins: frozenset[str]
    channels: frozenset[Channel]
    duty_exempt: Exemption | None
    vat_exempt: Exemption | None
    flat_duty_per_category: Money | None
    note: str = ""

    @property
    def specificity(self) -> int:
        return 2 * bool(self.origins) + bool(self.channels)


@dataclass(frozen=True, slots=True)
class DutyRateRow:
    rule: RuleRef
    regime: str
    chapters: frozenset[int]  # empty = every chapter
    origins: frozenset[str]
    channels: frozenset[Channel]
    rate_bp: int
    includes_vat: bool
    additional: bool
    note: str = ""

    @property
    def specificity(self) -> int:
        return 4 * bool(self.origins) + 2 * bool(self.channels) + bool(self.chapters)

    def covers(self, chapter: int) -> bool:
        return not self.chapters or chapter in self.chapters


class ChapterDuty(NamedTuple):
    """The duty rows in force for one HS chapter at one border, base row first, then the
    additional rows (worked out once per lane and chapter: ``customs.borders.Lane``)."""

    rows: tuple[DutyRateRow, ...]
    rules: tuple[RuleRef, ...]
    rate_bp: int  # the rows' rates added up
    includes_vat: bool  # a flat rate that includes import VAT


@dataclass(frozen=True, slots=True)
class ReliefRow:
    rule: RuleRef
    regime: str
    name: str
    available: bool
    limit: Period | None
    covers_duty: bool
    covers_vat: bool
    requires_unaltered: bool
    reasons: frozenset[ReturnReason]
    excluded_chapters: frozenset[int]
    conditions: tuple[str, ...]
    documents: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class CheckoutScheme:
    """A checkout-VAT scheme of an importing regime (checkout.toml): the seller charges the
    VAT at sale, so goods within ``limit`` enter without import VAT (and without duty when
    ``duty_exempt``)."""

    rule: RuleRef
    regime: str
    name: str
    limit: Condition
    per_item: bool  # the limit holds for each unit's value (else for the consignment's)
    duty_exempt: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReclaimRow:
    rule: RuleRef
    regime: str
    route: str
    offered: bool
    reasons: frozenset[ReturnReason]
    channels: frozenset[Channel]
    exit: Exit
    requires_unaltered: bool
    duty_share_bp: int
    vat_share_bp: int
    checkout_vat: bool
    claimant: Claimant
    export_within: Period | None
    claim_from: ClaimFrom
    claim_within: Period | None
    value_limit: Condition | None
    min_claim: Condition | None
    conditions: tuple[str, ...]
    documents: tuple[str, ...]
    note: str = ""

    def deadline(self, import_date: date, export_date: date) -> date:
        if self.claim_within is None:
            raise ValueError(f"{self.rule.rule_id}: no claim deadline (route not offered)")
        claim_from = self.claim_from
        if claim_from is ClaimFrom.IMPORT:
            start = import_date
        elif claim_from is ClaimFrom.EXPORT:
            start = export_date
        else:  # ClaimFrom.EXPORT_MONTH_END
            year, month = export_date.year, export_date.month
            start = date(year, month, month_days(year, month))
        return self.claim_within.after(start)


@dataclass(frozen=True, slots=True)
class DocumentType:
    code: str
    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentRule:
    rule: RuleRef
    code: str
    trigger: Trigger
    regime: str  # "" = any
    channels: frozenset[Channel]
    when_value: Condition | None
    per_line: bool
    exempt_destinations: frozenset[str]
    other_member_state_only: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class Principle:
    rule: RuleRef
    topic: str
    text: str
    note: str = ""


# -- looking rows up (the engine's parts index the tables once) -----------------------------


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Dated(Protocol):
    @property
    def rule(self) -> RuleRef: ...


_D = TypeVar("_D", bound=_Dated)


def group(rows: Iterable[_V], key: Callable[[_V], _K]) -> dict[_K, tuple[_V, ...]]:
    """``rows`` by ``key``, each group in table order."""
    out: dict[_K, list[_V]] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return {k: tuple(v) for k, v in out.items()}


def first_in_force(rows: Iterable[_D], on: date) -> _D | None:
    """The first row in force on ``on`` (rows come most specific first)."""
    return next((row for row in rows if in_force(row.rule, on)), None)
