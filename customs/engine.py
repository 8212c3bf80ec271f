"""The customs engine: one ``assess`` for one crossing of a set of items on a date.

``CustomsEngine`` indexes the rule tables once (by regime, origin country and channel; by
country and territory), so an assessment is validation plus a handful of dict lookups, date
checks and integer arithmetic: no file IO and no code-list lookups per call. Routing calls it on
its hot path, about nine times per request, so what does not depend on the amounts is worked
out once and memoized in small bounded caches (``_MEMOS``): where each side stands, the border
between them and the rows a crossing by a channel needs (``_Lane``, with the duty rows per
chapter); which reclaim routes a crossing rules out (``_Routes``); the documents. Those keys
are codes, a channel, a reason, flags and the assessment date, which all requests of a day
share. Two memos also key on a request's own dates, which its crossings share: the relief
decision (``_Relief``) and a reclaim route's time limits; a miss there costs only the date
arithmetic. No memo of ``assess`` keys on amounts. The uncached methods are the reference
(``_lane`` for ``_lane_at``...); the memos only remember their answers, and what an answer cites
and notes is replayed into each assessment in order.

``amounts`` is ``assess`` for the batch planner (millions of crossings): the same steps, but
no documents, notes, citations or Assessment. Two more things serve the crossings of one
request, which share their items and original import: the validated lines of the last items
tuple (reused for the very same tuple object only), and the reclaims summed per export regime,
channel, exit, reason, import record and totals (``_reclaimed_at``, a small memo keyed on those
amounts, so it serves one request's crossings and forgets them after a few requests).

Semantics (details in the docstrings below and in the data files' headers):

- **Border.** Each side resolves to a customs area (a full union, a special territory, or the
  country) and a VAT area. Same customs area and same VAT area: no border, no amounts, no
  documents (the shared union is still named). Partial unions (EU-TR, GCC, ...) cross. A
  territory may follow a union it is not a member of for goods (``goods_area``: Northern Ireland
  is in the EU's areas). A movement row between two places of one country overrides this for one
  direction (Northern Ireland -> Great Britain: no border; Great Britain -> Northern Ireland: a
  border that is no export from GB, so no UK export documents, customs-exit reclaims or relief).
- **Entry charges** into the import side: duty by HS chapter (most specific dated row) unless a
  partial union frees the chapter or the customs area is shared; de minimis in force on ``on``
  against the consignment value (sum of value x quantity, converted at the rate of ``on``);
  import VAT on value + duty when a VAT border is crossed. ``bonded_destination``: nothing due.
- **Returned-goods relief** when ``reentry``, within the limit counted from
  ``crossing.export_date`` (or, if unknown, the original import date, as a note says), for
  unaltered items.
- **Reclaims** in the export country for ``original_import``: every route whose exit, reason,
  condition, value and deadline hold; the best customs route (most money, then latest deadline)
  plus the seller's VAT-return route when VAT was collected at checkout.
- **Documents** with the reason each is required.
- Every amount cites its row; ``Assessment.confidence`` is the weakest cited row's.
- **Gaps.** Import rules that are not tabled (Faroe Islands, Greenland, Canary IGIC, ...) raise
  ``CustomsNotCovered`` naming the field; its ``partial`` answers the rest of the crossing (the
  border, reclaims in the export country, documents) with the entry charges left at 0 and noted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, Protocol, TypeVar

import pycountry

from customs.api import (
    Amounts,
    Assessment,
    Channel,
    Confidence,
    Crossing,
    CustomsError,
    CustomsItem,
    CustomsNotCovered,
    Document,
    FxConversion,
    ImportRecord,
    Reclaim,
    ReturnReason,
    RuleRef,
)
from customs.fx import FxTable, default_fx
from customs.load import RuleBook, load_rulebook
from customs.rows import (
    Basis,
    Condition,
    DeMinimisRow,
    DocumentRule,
    DutyRateRow,
    Exit,
    Jurisdiction,
    MovementRow,
    ReclaimRow,
    ReliefRow,
    TerritoryRow,
    Trigger,
    UnionKind,
    UnionRow,
    VatRow,
    apply_bp,
    in_force,
    weakest,
)

_HS_RE = re.compile(r"^[0-9]{6,10}$")
_TERRITORY_RE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
_CATEGORY_DIGITS = 8  # EU flat duty: an item category = a distinct tariff subheading (CN, 8 digits)
# Entries per memo. Keys are a few codes, a channel, a reason and dates: a day's traffic is a
# few hundred of them, so this holds several days of it and bounds memory when dates vary.
_MEMO_SIZE = 4096
_NO_AMOUNTS = Amounts(0, 0, 0, 0)  # no border: nothing due, nothing to reclaim
# ``amounts`` memoizes the reclaims of a request's crossings, keyed on its amounts: a few entries
# per request are enough (its crossings differ only by channel and exit in these keys)
_AMOUNT_MEMO_SIZE = 256
_MEMOS = (
    "_zone_at",
    "_lane_at",
    "_relief_at",
    "_routes_at",
    "_time_limits_at",
    "_document_at",
    "_reclaimed_at",
    "_last_lines",
)


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Dated(Protocol):
    @property
    def rule(self) -> RuleRef: ...


class _Filtered(_Dated, Protocol):
    """A row selected by (regime, export country, channel): de minimis and duty rates."""

    @property
    def regime(self) -> str: ...
    @property
    def origins(self) -> frozenset[str]: ...
    @property
    def channels(self) -> frozenset[Channel]: ...
    @property
    def specificity(self) -> int: ...


_D = TypeVar("_D", bound=_Dated)
_F = TypeVar("_F", bound=_Filtered)


# -- per-call value objects -------------------------------------------------------------------
# (the ones made on every call are NamedTuples: cheaper to build than frozen dataclasses)


class _Line(NamedTuple):
    """One validated item line."""

    path: str  # "items[2]"
    hs_code: str
    chapter: int
    currency: str
    total_minor: int  # value x quantity, in ``currency``
    unaltered: bool


@dataclass(frozen=True, slots=True)
class _Zone:
    """Where one side of a crossing stands on the assessment date."""

    country: str
    territory: str
    territory_row: TerritoryRow | None  # a special territory in force
    full_union: UnionRow | None  # the full union whose customs territory holds the zone
    regime: str  # the customs area: a full union code, a special territory code, or the country
    vat_area: str
    vat_keys: tuple[str, ...]  # VAT rows to try, most specific first
    # the rows in force on the zone's date:
    vat_row: VatRow | None  # import VAT (None: not in the tables, see ``_vat_row``)

    @property
    def rules(self) -> tuple[RuleRef, ...]:
        return tuple(row.rule for row in (self.territory_row, self.full_union) if row is not None)

    @property
    def label(self) -> str:
        return self.territory or self.country

    @property
    def place(self) -> str:
        """The special territory's code, else the country (an ordinary subdivision is the
        country): what a movement row names."""
        return self.territory if self.territory_row is not None else self.country


@dataclass(frozen=True, slots=True)
class _Passage:
    """The border facts of one crossing."""

    customs: bool  # customs areas differ: duty, export formalities, customs reclaims
    vat: bool  # VAT areas differ: import VAT
    shared_union: UnionRow | None  # a full union holding both sides
    partial_union: UnionRow | None  # a partial union between the two parties

    @property
    def border(self) -> bool:
        return self.customs or self.vat

    @property
    def union_code(self) -> str:
        union = self.shared_union or self.partial_union
        return union.code if union else ""


# document rules of one trigger that apply before the value test, each with "" or the note that
# the destination is exempt
_DocumentRules = tuple[tuple[DocumentRule, str], ...]


@dataclass(frozen=True, slots=True, eq=False)  # memoized: one per key, compared by identity
class _Lane:
    """A crossing by one channel on one date, whatever the goods (memoized): both sides, the
    border between them and the rows the assessment reads from the tables."""

    exp: _Zone
    imp: _Zone
    passage: _Passage
    cited: Mapping[str, RuleRef]  # the zones' rows and a partial union's: cited first, in order
    de_minimis: DeMinimisRow | None  # None: see ``_de_minimis_row``
    border_documents: _DocumentRules
    export_documents: _DocumentRules  # of the export regime
    relief_documents: _DocumentRules  # of the import regime
    reclaim_documents: _DocumentRules  # of the export regime
    border_reason: str  # why the border documents are required
    export_reason: str  # ... the export documents
    reclaim_reason: str  # ... the documents of a customs reclaim
    union: str  # Assessment.union
    no_border: _NoBorder | None  # the whole outcome when there is no border
    movement: MovementRow | None  # a movement row for this direction between the two places
    movement_reason: str  # why the movement's documents are required
    # the goods leave the export side's customs territory: export documents and reclaim routes
    # that need a customs exit apply (a customs border, unless a movement row says otherwise)
    exits: bool
    # chapter -> ``_duty_rows_in_force`` for this lane (filled on first use; at most 97 entries)
    duty_by_chapter: dict[int, _Duty | None] = field(default_factory=dict)


class _NoBorder(NamedTuple):
    """What an assessment without a border cites and notes (it depends on the places only)."""

    rules: tuple[RuleRef, ...]
    notes: tuple[str, ...]
    confidence: Confidence


class _Duty(NamedTuple):
    """The rows that set a line's duty, base row first (kept per lane and chapter)."""

    rows: tuple[DutyRateRow, ...]
    rules: tuple[RuleRef, ...]
    rate_bp: int  # the rows' rates added up
    includes_vat: bool  # a flat rate that includes import VAT


class _Goods(NamedTuple):
    """The items as the entry charges see them."""

    lines: tuple[_Line, ...]
    totals: Mapping[str, int]  # currency -> sum of line totals
    duties: Mapping[str, _Duty | None]  # line path -> what sets its duty; None = duty-free
    relief: ReliefRow | None  # an available relief that applies to the crossing
    relieved: frozenset[str]  # line paths the relief covers
    duty_relieved: frozenset[str]  # ... of them, those whose duty it covers
    vat_relieved: frozenset[str]  # ... of them, those whose import VAT it covers


class _Entry(NamedTuple):
    """What is due on entry into the import side."""

    duty_minor: int = 0
    vat_minor: int = 0
    de_minimis: str = ""
    relief: ReliefRow | None = None  # granted to at least one line


class _Relief(NamedTuple):
    """The returned-goods relief decision for a re-entry across a customs border, with what it
    cites and notes (memoized per import regime, assessment date, reason and export date)."""

    row: ReliefRow | None  # the relief that applies, if any
    rules: tuple[RuleRef, ...]
    notes: tuple[str, ...]


class _Route(NamedTuple):
    """A reclaim row as a crossing meets it before dates and amounts (memoized per export
    regime, assessment date, channel, border, reason and unaltered goods)."""

    row: ReclaimRow
    out: str  # the note when the route cannot apply to the crossing; "" when it may


class _Routes(NamedTuple):
    customs: tuple[_Route, ...]  # customs routes, in table order
    checkout: tuple[_Route, ...]  # the seller's routes for VAT collected at checkout


class _Offer(NamedTuple):
    row: ReclaimRow
    reclaim: Reclaim
    claim_minor: int  # duty + VAT recovered, in the currency it was paid in


@dataclass(slots=True)
class _Call:
    """Scratch state of one assessment: cited rules, notes and FX conversions, in order."""

    fx: FxTable
    currency: str
    on: date
    rules: dict[str, RuleRef]
    notes: list[str] = field(default_factory=list)
    conversions: dict[tuple[str, str, int], FxConversion] = field(default_factory=dict)

    def cite(self, *rules: RuleRef) -> None:
        for rule in rules:
            self.rules.setdefault(rule.rule_id, rule)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def convert(self, amount_minor: int, from_currency: str, to_currency: str) -> int:
        if from_currency == to_currency:
            return amount_minor
        key = (from_currency, to_currency, amount_minor)
        conversion = self.conversions.get(key)
        if conversion is None:
            quote = self.fx.quote(from_currency, to_currency, self.on)
            if quote is None:  # convert raises, naming the reason
                conversion = self.fx.convert(amount_minor, from_currency, to_currency, self.on)
            else:
                conversion = quote.conversion(amount_minor)
            self.conversions[key] = conversion
        return conversion.amount_to_minor

    def total(self, totals: Mapping[str, int], to_currency: str) -> int:
        """A sum of amounts in several currencies, each converted to ``to_currency``."""
        total = 0
        for currency, amount in totals.items():
            total += self.convert(amount, currency, to_currency)
        return total

    def holds(self, condition: Condition, totals: Mapping[str, int]) -> tuple[bool, str]:
        """Whether the amount satisfies ``condition``, and the comparison as text."""
        verdict, value = self.test(condition, totals)
        return verdict, self.account(condition, value, verdict)

    def test(self, condition: Condition, totals: Mapping[str, int]) -> tuple[bool, int]:
        """Whether the amount satisfies ``condition``, and the amount in its currency (for
        ``account`` when the text is needed)."""
        value = self.total(totals, condition.currency)
        return condition.op.holds(value, condition.amount_minor), value

    def account(self, condition: Condition, value: int, verdict: bool) -> str:
        """The comparison of ``test`` as text: "not 233.93 CAD <= 150.00 CAD"."""
        threshold = condition.text or (
            f"{condition.op.value} {self.fx.format(condition.amount_minor, condition.currency)}"
        )
        account = f"{self.fx.format(value, condition.currency)} {threshold}"
        return account if verdict else f"not {account}"

    @property
    def confidence(self) -> Confidence:
        return weakest([rule.confidence for rule in self.rules.values()])


class _Quiet(_Call):
    """A ``_Call`` that keeps no citations or notes and words no comparison, for ``amounts``
    (which returns none of them; nothing the engine decides reads them)."""

    __slots__ = ()

    def cite(self, *rules: RuleRef) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def holds(self, condition: Condition, totals: Mapping[str, int]) -> tuple[bool, str]:
        return self.test(condition, totals)[0], ""

    def convert(self, amount_minor: int, from_currency: str, to_currency: str) -> int:
        """``_Call.convert`` without the FxConversion records (``quote.conversion(amount)`` is
        ``amount_to(amount)`` and the quote's details)."""
        if from_currency == to_currency:
            return amount_minor
        quote = self.fx.quote(from_currency, to_currency, self.on)
        if quote is None:  # convert raises, naming the reason
            return self.fx.convert(
                amount_minor, from_currency, to_currency, self.on
            ).amount_to_minor
        return quote.amount_to(amount_minor)


# -- the engine -------------------------------------------------------------------------------


class CustomsEngine:
    """Implements ``CustomsAssessor`` over a ``RuleBook`` and an ``FxTable``; indexes built once."""

    def __init__(self, rules: RuleBook, fx: FxTable) -> None:
        self.rulebook = rules
        self.fx = fx
        self._currencies = fx.currencies
        self._jurisdictions: Mapping[str, Jurisdiction] = rules.jurisdictions
        self._iso_countries = frozenset(c.alpha_2 for c in pycountry.countries)
        iso_subdivisions = frozenset(s.code for s in pycountry.subdivisions)
        self._subdivisions = iso_subdivisions | {t.code for t in rules.territories}
        # well-formed subdivision code -> its country: one lookup validates a territory
        self._subdivision_country = {
            code: code[:2] for code in self._subdivisions if _TERRITORY_RE.match(code)
        }
        self._territories = _group(rules.territories, lambda t: t.code)
        self._movements = _group(rules.movements, lambda m: (m.origin, m.destination))
        self._unions_by_code = _group(rules.unions, lambda u: u.code)
        memberships = [(m, u) for u in rules.unions if u.kind is UnionKind.FULL for m in u.members]
        self._full_unions = {
            country: tuple(union for _, union in pairs)
            for country, pairs in _group(memberships, lambda pair: pair[0]).items()
        }
        self._partial_unions = tuple(u for u in rules.unions if u.kind is UnionKind.PARTIAL)
        self._vat_rows = _group(rules.vat, lambda v: v.area)
        self._de_minimis = self._index(rules.de_minimis)
        self._duty_base = self._index([d for d in rules.duty_rates if not d.additional])
        self._duty_additional = self._index([d for d in rules.duty_rates if d.additional])
        self._reliefs = _group(rules.reliefs, lambda r: r.regime)
        self._reclaim_rows = _group(rules.reclaims, lambda r: r.regime)
        self._reclaims_by_id = {row.rule.rule_id: row for row in rules.reclaims}
        self._document_rules = _group(rules.document_rules, lambda d: (d.trigger, d.regime))
        self._principles = {topic: p.rule for topic, p in rules.principles.items()}
        self.coverage_start = max(
            min(v.rule.effective_from for v in rules.vat),
            min(d.rule.effective_from for d in rules.de_minimis),
            max(fx.first_date(c) for c in self._currencies),
        )
        self._rules_by_id = {rule.rule_id: rule for rule in rules.rules()}
        self._memoize()

    def _memoize(self) -> None:
        """Memoized pure lookups (bounded; see _MEMO_SIZE). Each wraps the method of the same
        name without "_at", which stays the reference."""
        self._zone_at = _memo(self._zone)
        self._lane_at = _memo(self._lane)
        self._relief_at = _memo(self._relief_decision)
        self._routes_at = _memo(self._routes)
        self._time_limits_at = _memo(self._time_limits)
        self._document_at = _memo(self._document)
        self._reclaimed_at = _memo(self._reclaimed, _AMOUNT_MEMO_SIZE)
        # the items of the last call and their validated lines: a request's crossings pass one
        # tuple of items (held here, so its identity is not reused while it is compared)
        self._last_lines: tuple[Sequence[CustomsItem], tuple[_Line, ...]] = ((), ())

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the memos (they are rebuilt on load)."""
        return {k: v for k, v in self.__dict__.items() if k not in _MEMOS}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._memoize()

    def _index(self, rows: Sequence[_F]) -> dict[tuple[str, str, Channel], tuple[_F, ...]]:
        """(regime, export country, channel) -> candidate rows, most specific first."""
        index: dict[tuple[str, str, Channel], list[_F]] = {}
        for row in rows:
            for origin in row.origins or self._jurisdictions:
                for channel in row.channels or Channel:
                    index.setdefault((row.regime, origin, channel), []).append(row)
        return {
            key: tuple(sorted(found, key=lambda r: -r.specificity)) for key, found in index.items()
        }

    # -- the entry point ------------------------------------------------------------------------

    def assess(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Assessment:
        """Assess ``crossing`` of ``items`` on ``on``; amounts in ``currency`` minor units."""
        lines = self._validate(crossing, items, on, currency)
        lane = self._lane_at(
            crossing.export_country,
            crossing.export_territory,
            crossing.import_country,
            crossing.import_territory,
            crossing.channel,
            crossing.goods_origin_country == crossing.import_country,
            on,
        )
        if crossing.reentry:
            self._check_reentry(crossing, lane.imp, on)
        if lane.no_border is not None:
            return self._without_border(crossing, lane, lane.no_border, currency)
        call = _Call(self.fx, currency, on, dict(lane.cited))
        totals = _totals(lines)
        try:
            entry = self._entry(crossing, lane, lines, totals, call)
        except CustomsNotCovered as gap:  # answer the rest when asked (``gap.partial``)
            gap._answer = functools.partial(  # (no reference to ``gap``: no cycle)
                self._partial,
                f"{gap.field}: {gap.reason}",
                crossing,
                lane,
                lines,
                totals,
                on,
                currency,
            )
            raise
        offers = self._reclaims(crossing, lane, lines, totals, call)
        documents = self._documents(crossing, lane, lines, totals, entry, offers, call)
        if call.conversions:
            call.note("amounts converted at the illustrative FX rates of fx.toml (FX01-FX03)")
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=True,
            union=lane.union,
            currency=currency,
            duty_due_minor=entry.duty_minor,
            vat_due_minor=entry.vat_minor,
            relief=entry.relief.name if entry.relief else "",
            de_minimis=entry.de_minimis,
            reclaims=tuple([offer.reclaim for offer in offers]),
            documents=documents,
            rules=tuple(call.rules.values()),
            fx=tuple(call.conversions.values()),
            confidence=call.confidence,
            notes=tuple(call.notes),
        )

    def amounts(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Amounts:
        """``Amounts.of(self.assess(...))``: the same steps in the same order (so the same
        errors), without the documents and the Assessment (the batch planner's hot path)."""
        lines = self._validate(crossing, items, on, currency)
        lane = self._lane_at(
            crossing.export_country,
            crossing.export_territory,
            crossing.import_country,
            crossing.import_territory,
            crossing.channel,
            crossing.goods_origin_country == crossing.import_country,
            on,
        )
        if crossing.reentry:
            self._check_reentry(crossing, lane.imp, on)
        if lane.no_border is not None:
            return _NO_AMOUNTS
        call = _Quiet(self.fx, currency, on, {})
        totals = _totals(lines)
        try:
            entry = self._entry(crossing, lane, lines, totals, call)
        except CustomsNotCovered as gap:  # as ``assess`` raises it
            gap._answer = functools.partial(
                self._partial,
                f"{gap.field}: {gap.reason}",
                crossing,
                lane,
                lines,
                totals,
                on,
                currency,
            )
            raise
        record = crossing.original_import
        if record is None:
            return Amounts(entry.duty_minor, entry.vat_minor, 0, 0)
        duty, vat = self._reclaimed_at(
            record,
            lane.exp.regime,
            crossing.channel,
            lane.exits,
            crossing.reason,
            all(ln.unaltered for ln in lines),
            tuple(totals.items()),
            on,
            currency,
        )
        return Amounts(entry.duty_minor, entry.vat_minor, duty, vat)

    def _partial(
        self,
        gap: str,  # the CustomsNotCovered that stopped the entry charges, as text
        crossing: Crossing,
        lane: _Lane,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        on: date,
        currency: str,
    ) -> Assessment:
        """The part of the assessment the tables do cover when ``gap`` stops the entry charges:
        the border, the reclaims in the export country and the documents
        (``CustomsNotCovered.partial``)."""
        call = _Call(self.fx, currency, on, dict(lane.cited))
        call.note(
            f"entry charges into {lane.imp.label} not assessed ({gap}): "
            "duty_due_minor and vat_due_minor are 0 because they are unknown, not because "
            "nothing is due"
        )
        offers = self._reclaims(crossing, lane, lines, totals, call)
        documents = self._documents(crossing, lane, lines, totals, _Entry(), offers, call)
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=True,
            union=lane.union,
            currency=currency,
            duty_due_minor=0,
            vat_due_minor=0,
            relief="",
            de_minimis="",
            reclaims=tuple([offer.reclaim for offer in offers]),
            documents=documents,
            rules=tuple(call.rules.values()),
            fx=tuple(call.conversions.values()),
            confidence=call.confidence,
            notes=tuple(call.notes),
        )

    def customs_area(self, country: str, territory: str, on: date) -> str:
        """The customs area a place belongs to on ``on``: a full union's code (``EU``, also for
        a territory that follows it for goods, like Northern Ireland), a special territory's code
        (``DE-HGL``) or the country. Goods re-enter their customs territory of origin
        (``Crossing.reentry``) when this matches for ``goods_origin_country``."""
        self._check_country("country", country)
        self._check_territory("territory", territory, country)
        return self._zone_at(country, territory, on).regime

    # -- validation -----------------------------------------------------------------------------

    def _validate(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, currency: str
    ) -> tuple[_Line, ...]:
        if type(on) is not date and (not isinstance(on, date) or isinstance(on, datetime)):
            raise CustomsError("on", f"must be a date, got {type(on).__name__}")
        if currency not in self._currencies:
            raise CustomsError("currency", f"unknown currency {str(currency)[:8]!r} (no FX rates)")
        if on < self.coverage_start:
            raise CustomsError(
                "on", f"{on} is before the rule and FX tables start ({self.coverage_start})"
            )
        self._validate_crossing(crossing, on)
        if not items:
            raise CustomsError("items", "at least one item is required")
        last_items, last_lines = self._last_lines
        if items is last_items:  # the same (immutable) tuple as the last call's: same lines
            return last_lines
        lines = tuple([self._line(f"items[{i}]", item) for i, item in enumerate(items)])
        if type(items) is tuple:
            self._last_lines = (items, lines)  # one assignment: a consistent pair for threads
        return lines

    def _validate_crossing(self, crossing: Crossing, on: date) -> None:
        countries = self._jurisdictions
        if not (
            crossing.export_country in countries
            and crossing.import_country in countries
            and crossing.goods_origin_country in countries
        ):
            for name in ("export_country", "import_country", "goods_origin_country"):
                self._check_country(f"crossing.{name}", getattr(crossing, name))
        if crossing.export_territory:
            self._check_territory(
                "crossing.export_territory", crossing.export_territory, crossing.export_country
            )
        if crossing.import_territory:
            self._check_territory(
                "crossing.import_territory", crossing.import_territory, crossing.import_country
            )
        if not isinstance(crossing.channel, Channel):
            raise CustomsError("crossing.channel", f"must be a Channel, got {crossing.channel!r}")
        if not isinstance(crossing.reason, ReturnReason):
            raise CustomsError(
                "crossing.reason", f"must be a ReturnReason, got {crossing.reason!r}"
            )
        if crossing.export_date is not None and crossing.export_date > on:
            raise CustomsError(
                "crossing.export_date", f"{crossing.export_date} is after the assessment date {on}"
            )
        if crossing.original_import is not None:
            self._validate_import_record(crossing.original_import, crossing.export_country, on)

    def _validate_import_record(self, record: ImportRecord, export_country: str, on: date) -> None:
        path = "crossing.original_import"
        if record.country != export_country:
            raise CustomsError(
                f"{path}.country",
                f"must be the country the goods leave ({export_country}), got {record.country!r}",
            )
        if record.currency not in self._currencies:
            raise CustomsError(
                f"{path}.currency", f"unknown currency {str(record.currency)[:8]!r} (no FX rates)"
            )
        if record.duty_paid_minor < 0:
            raise CustomsError(f"{path}.duty_paid_minor", "must be >= 0")
        if record.vat_paid_minor < 0:
            raise CustomsError(f"{path}.vat_paid_minor", "must be >= 0")
        if record.import_date > on:
            raise CustomsError(
                f"{path}.import_date", f"{record.import_date} is after the assessment date {on}"
            )

    def _check_country(self, path: str, code: str) -> None:
        if code in self._jurisdictions:
            return
        if code in self._iso_countries:
            raise CustomsNotCovered(
                path, f"no customs rules for {code} (not in customs/data/countries.toml)"
            )
        raise CustomsError(
            path, f"unknown country code {str(code)[:8]!r} (ISO 3166-1 alpha-2, upper case)"
        )

    def _check_territory(self, path: str, code: str, country: str) -> None:
        if not code or (isinstance(code, str) and self._subdivision_country.get(code) == country):
            return
        if not _TERRITORY_RE.match(code) or not code.startswith(country + "-"):
            raise CustomsError(
                path,
                f"must be a subdivision code of {country} ({country}-...), got {str(code)[:12]!r}",
            )
        if code not in self._subdivisions:
            raise CustomsError(
                path, f"unknown subdivision {code!r} (neither ISO 3166-2 nor in territories.toml)"
            )

    def _line(self, path: str, item: CustomsItem) -> _Line:
        chapter = _hs_chapter(item.hs_code) if isinstance(item.hs_code, str) else None
        if chapter is None:
            raise CustomsError(
                f"{path}.hs_code", f"must be 6 to 10 digits, got {str(item.hs_code)[:16]!r}"
            )
        if not 1 <= chapter <= 97:
            raise CustomsError(
                f"{path}.hs_code", f"HS chapter must be 01-97, got {item.hs_code[:2]}"
            )
        if item.value_minor < 0:
            raise CustomsError(f"{path}.value_minor", f"must be >= 0, got {item.value_minor}")
        if item.quantity < 1:
            raise CustomsError(f"{path}.quantity", f"must be >= 1, got {item.quantity}")
        if item.weight_g < 0:
            raise CustomsError(f"{path}.weight_g", f"must be >= 0, got {item.weight_g}")
        if item.currency not in self._currencies:
            raise CustomsError(
                f"{path}.currency", f"unknown currency {str(item.currency)[:8]!r} (no FX rates)"
            )
        return _Line(
            path,
            item.hs_code,
            chapter,
            item.currency,
            item.value_minor * item.quantity,
            item.unaltered,
        )

    # -- zones and the border -------------------------------------------------------------------

    def _lane(
        self,
        exp_country: str,
        exp_territory: str,
        imp_country: str,
        imp_territory: str,
        channel: Channel,
        origin_is_destination: bool,  # the goods return to their origin country
        on: date,
    ) -> _Lane:
        exp = self._zone_at(exp_country, exp_territory, on)
        imp = self._zone_at(imp_country, imp_territory, on)
        movement = _first(self._movements.get((exp.place, imp.place), ()), on)
        passage = self._passage(exp, imp)
        if movement is not None and not movement.border:
            passage = _Passage(False, False, None, None)
        union = () if passage.partial_union is None else (passage.partial_union.rule,)
        moved = () if movement is None else (movement.rule,)
        cited: dict[str, RuleRef] = {}
        for rule in (*exp.rules, *imp.rules, *union, *moved):
            cited.setdefault(rule.rule_id, rule)
        exits = passage.customs and (movement is None or movement.leaves_customs_territory)
        context = (channel, imp_country, origin_is_destination, on)
        return _Lane(
            exp,
            imp,
            passage,
            cited,
            self._de_minimis_in_force(imp.regime, exp_country, channel, on),
            self._document_rules_in_force(Trigger.BORDER, "", *context),
            self._document_rules_in_force(Trigger.EXPORT, exp.regime, *context) if exits else (),
            self._document_rules_in_force(Trigger.RELIEF, imp.regime, *context),
            self._document_rules_in_force(Trigger.RECLAIM, exp.regime, *context),
            f"border {exp.label} -> {imp.label}",
            f"export from {exp.regime}",
            f"reclaim in {exp.regime}",
            passage.union_code,
            None if passage.border else self._no_border(exp, imp, passage, cited, movement),
            movement,
            f"movement {exp.place} -> {imp.place}",
            exits,
        )

    def _zone(self, country: str, territory: str, on: date) -> _Zone:
        territory_row = _first(self._territories.get(territory, ()), on) if territory else None
        if territory_row is not None and territory_row.goods_area:
            union = _first(self._unions_by_code.get(territory_row.goods_area, ()), on)
        else:
            union = _first(self._full_unions.get(country, ()), on)
        in_customs = territory_row is None or territory_row.in_customs_territory
        in_vat = territory_row is None or territory_row.in_vat_area
        union = union if in_customs else None
        regime = (union.code if union else country) if in_customs else territory
        vat_keys: tuple[str, ...]
        if not in_vat:
            vat_area, vat_keys = territory, (territory,)
        else:
            shares_vat = union is not None and not union.vat_border_between_members
            vat_area = union.code if union is not None and shares_vat else country
            vat_keys = (territory, country) if territory else (country,)
        return _Zone(
            country,
            territory,
            territory_row,
            union,
            regime,
            vat_area,
            vat_keys,
            self._vat_row_in_force(vat_keys, on),
        )

    def _passage(self, exp: _Zone, imp: _Zone) -> _Passage:
        shared = (
            exp.full_union
            if exp.full_union is not None and exp.full_union is imp.full_union
            else None
        )
        parties = {exp.regime, imp.regime}
        partial = next(
            (u for u in self._partial_unions if len(parties) == 2 and parties <= u.members), None
        )
        return _Passage(exp.regime != imp.regime, exp.vat_area != imp.vat_area, shared, partial)

    def _check_reentry(self, crossing: Crossing, imp: _Zone, on: date) -> None:
        if crossing.goods_origin_country == imp.country:
            return  # back to the origin country: its territory (e.g. GB-NIR) is not given
        origin = self._zone_at(crossing.goods_origin_country, "", on)
        if origin.regime != imp.regime:
            raise CustomsError(
                "crossing.reentry",
                f"the goods came from {crossing.goods_origin_country} ({origin.regime}) but enter "
                f"{imp.label} ({imp.regime}): a re-entry returns to the customs area of origin",
            )

    def _no_border(
        self,
        exp: _Zone,
        imp: _Zone,
        passage: _Passage,
        cited: Mapping[str, RuleRef],
        movement: MovementRow | None,
    ) -> _NoBorder:
        rules = dict(cited)
        follows = [
            z.territory_row
            for z in (exp, imp)
            if z.territory_row is not None and z.territory_row.goods_area
        ]
        if movement is not None:
            why = movement.note or movement.rule.legal_basis
            note = f"no border: {exp.label} -> {imp.label} ({movement.rule.rule_id}: {why})"
        elif passage.shared_union is not None and exp.country != imp.country:
            union = passage.shared_union.name
            note = f"no border: {exp.label} and {imp.label} are inside the {union}"
            if follows:
                names = " and ".join(t.name for t in follows)
                note = (
                    f"no border for goods: {exp.label} and {imp.label} are inside the {union} "
                    f"or follow its rules for goods ({names})"
                )
        else:
            domestic = self._principles["domestic"]
            rules.setdefault(domestic.rule_id, domestic)
            note = (
                f"no border: {exp.label} and {imp.label} share one customs territory and VAT area"
            )
        return _NoBorder(
            tuple(rules.values()), (note,), weakest(rule.confidence for rule in rules.values())
        )

    def _without_border(
        self, crossing: Crossing, lane: _Lane, outcome: _NoBorder, currency: str
    ) -> Assessment:
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=False,
            union=lane.union,
            currency=currency,
            duty_due_minor=0,
            vat_due_minor=0,
            relief="",
            de_minimis="",
            reclaims=(),
            documents=(),
            rules=outcome.rules,
            confidence=outcome.confidence,
            notes=outcome.notes,
        )

    # -- entry charges --------------------------------------------------------------------------

    def _entry(
        self,
        crossing: Crossing,
        lane: _Lane,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        call: _Call,
    ) -> _Entry:
        imp, passage = lane.imp, lane.passage
        if crossing.bonded_destination:
            call.cite(self._principles["bonded"])
            call.note(
                f"bonded destination: no duty or import VAT on entry into {imp.label}; both "
                "fall due if the goods are later released for free circulation"
            )
            return _Entry()
        self._check_imports_assessable(imp)
        de_minimis = self._de_minimis_row(lane, crossing, call)
        relief = self._relief(crossing, lane, call) if crossing.reentry else None
        relieved: frozenset[str] = frozenset()
        if relief is not None:
            relieved = frozenset([ln.path for ln in lines if _relieves(relief, ln, call)])
        duties = {ln.path: self._line_duty_rows(lane, crossing, ln, call) for ln in lines}
        goods = _Goods(
            lines,
            totals,
            duties,
            relief,
            relieved,
            relieved if relief is not None and relief.covers_duty else frozenset(),
            relieved if relief is not None and relief.covers_vat else frozenset(),
        )
        duty, flat_duty, duty_text = self._duty(goods, de_minimis, passage, call)
        vat, vat_text = self._vat(goods, imp, passage, de_minimis, duty, flat_duty, call)
        described = f"{duty_text}; {vat_text}" if duty_text and vat_text else duty_text or vat_text
        granted = relief if relieved else None
        return _Entry(
            sum(duty.values()) + flat_duty, vat, f"{de_minimis.rule.rule_id}: {described}", granted
        )

    def _check_imports_assessable(self, imp: _Zone) -> None:
        jurisdiction = self._jurisdictions[imp.country]
        if not jurisdiction.imports_assessable:
            raise CustomsNotCovered(
                "crossing.import_country",
                f"import rules for {imp.country} are not in the tables yet: {jurisdiction.note}",
            )

    def _de_minimis_row(self, lane: _Lane, crossing: Crossing, call: _Call) -> DeMinimisRow:
        row, imp = lane.de_minimis, lane.imp
        if row is not None:
            call.cite(row.rule)
            return row
        if not self._de_minimis.get((imp.regime, crossing.export_country, crossing.channel)):
            path = "crossing.import_territory" if imp.territory_row else "crossing.import_country"
            raise CustomsNotCovered(
                path, f"no import rules for {imp.label} (customs area {imp.regime}) in the tables"
            )
        raise CustomsError("on", f"no de minimis row for {imp.regime} in force on {call.on}")

    def _de_minimis_in_force(
        self, regime: str, origin: str, channel: Channel, on: date
    ) -> DeMinimisRow | None:
        return _first(self._de_minimis.get((regime, origin, channel), ()), on)

    def _line_duty_rows(
        self, lane: _Lane, crossing: Crossing, line: _Line, call: _Call
    ) -> _Duty | None:
        """The rows that set a line's duty; None inside one customs area or a partial union."""
        imp, passage = lane.imp, lane.passage
        if not passage.customs:
            return None
        if line.chapter in lane.duty_by_chapter:
            duty = lane.duty_by_chapter[line.chapter]
        else:
            duty = self._duty_rows_in_force(
                imp.regime, crossing.export_country, crossing.channel, line.chapter, call.on
            )
            lane.duty_by_chapter[line.chapter] = duty
        if duty is None:
            raise CustomsError(
                "on", f"no duty rate for {imp.regime} chapter {line.chapter:02d} on {call.on}"
            )
        base, union = duty.rows[0], passage.partial_union
        if union is not None and line.chapter in union.duty_free_chapters and not base.includes_vat:
            return None
        return duty

    def _duty_rows_in_force(
        self, regime: str, origin: str, channel: Channel, chapter: int, on: date
    ) -> _Duty | None:
        """The base row and the additional rows for a chapter on ``on``; None without a base."""
        key = (regime, origin, channel)
        base = _first([r for r in self._duty_base.get(key, ()) if r.covers(chapter)], on)
        if base is None:
            return None
        extra = [
            r
            for r in self._duty_additional.get(key, ())
            if r.covers(chapter) and in_force(r.rule, on)
        ]
        rows = (base, *extra)
        return _Duty(
            rows,
            tuple(r.rule for r in rows),
            sum(r.rate_bp for r in rows),
            any(r.includes_vat for r in rows),
        )

    def _duty(
        self, goods: _Goods, de_minimis: DeMinimisRow, passage: _Passage, call: _Call
    ) -> tuple[dict[str, int], int, str]:
        """Duty per line and the flat per-category duty (assessment currency) after de minimis."""
        if not passage.customs:
            return {}, 0, ""
        payable = [
            ln
            for ln in goods.lines
            if goods.duties[ln.path] is not None and ln.path not in goods.duty_relieved
        ]
        if not payable:
            return {}, 0, f"no duty ({_duty_free_reason(goods, passage)})"
        exemption, account = de_minimis.duty_exempt, ""
        if exemption is not None and exemption.basis is Basis.VALUE:
            exempt, account = call.holds(exemption.condition, goods.totals)
            if exempt:
                flat = self._flat_duty(de_minimis, payable, call)
                how = "flat per item category" if flat else "exempt"
                return {}, flat, f"duty {how}: consignment {account}"
        duty = {ln.path: self._line_duty(ln, goods.duties[ln.path], call) for ln in payable}
        if exemption is None:
            return duty, 0, "no duty de minimis"
        if exemption.basis is Basis.VALUE:
            return duty, 0, f"duty due: consignment {account}"
        waived, account = call.holds(exemption.condition, {call.currency: sum(duty.values())})
        if waived:
            return {}, 0, f"duty waived: duty {account}"
        return duty, 0, f"duty due: duty {account}"

    def _line_duty(self, line: _Line, duty: _Duty | None, call: _Call) -> int:
        assert duty is not None  # a payable line
        call.cite(*duty.rules)
        value = call.convert(line.total_minor, line.currency, call.currency)
        return apply_bp(value, duty.rate_bp)

    def _flat_duty(self, de_minimis: DeMinimisRow, payable: Sequence[_Line], call: _Call) -> int:
        flat = de_minimis.flat_duty_per_category
        if flat is None:
            return 0
        categories = sorted({ln.hs_code[:_CATEGORY_DIGITS] for ln in payable})
        amount = call.fx.format(flat.amount_minor, flat.currency)
        call.note(
            f"flat duty {amount} x {len(categories)} item "
            f"categor{'y' if len(categories) == 1 else 'ies'} ({', '.join(categories)})"
        )
        return call.convert(flat.amount_minor * len(categories), flat.currency, call.currency)

    def _vat(
        self,
        goods: _Goods,
        imp: _Zone,
        passage: _Passage,
        de_minimis: DeMinimisRow,
        duty: Mapping[str, int],
        flat_duty: int,
        call: _Call,
    ) -> tuple[int, str]:
        """Import VAT on value + duty of the lines not under a flat rate or VAT relief."""
        if not passage.vat:
            return 0, ""
        row = self._vat_row(imp, call)
        flat_rate = {
            path for path, duty in goods.duties.items() if duty is not None and duty.includes_vat
        }
        taxable = [
            ln
            for ln in goods.lines
            if ln.path not in flat_rate and ln.path not in goods.vat_relieved
        ]
        if not taxable:
            why = "a flat rate includes it" if flat_rate else "relief"
            return 0, f"no separate import VAT ({why})"
        if row.rate_bp == 0:
            call.cite(row.rule)
            return 0, f"no import VAT ({row.area} rate 0%)"
        exemption, account = de_minimis.vat_exempt, ""
        if exemption is not None and exemption.basis is Basis.VALUE:
            exempt, account = call.holds(exemption.condition, goods.totals)
            if exempt:
                return 0, f"import VAT exempt: consignment {account}"
        call.cite(row.rule, self._principles["vat_base"])
        base = 0
        for ln in taxable:
            base += call.convert(ln.total_minor, ln.currency, call.currency) + duty.get(ln.path, 0)
        vat = apply_bp(base + flat_duty, row.rate_bp)
        due = _vat_due(row.rate_bp)
        if exemption is not None and exemption.basis is Basis.AMOUNT:
            waived, account = call.holds(exemption.condition, {call.currency: vat})
            if waived:
                return 0, f"import VAT waived: VAT {account}"
            return vat, f"{due}: VAT {account}"
        return vat, f"{due}: consignment {account}" if account else due

    def _vat_row(self, imp: _Zone, call: _Call) -> VatRow:
        if imp.vat_row is not None:
            return imp.vat_row
        if imp.territory_row is not None and not imp.territory_row.in_vat_area:
            raise CustomsNotCovered(
                "crossing.import_territory",
                f"import VAT of {imp.territory_row.name} ({imp.territory}) is not in the tables",
            )
        raise CustomsError("on", f"no VAT row for {imp.country} in force on {call.on}")

    def _vat_row_in_force(self, vat_keys: tuple[str, ...], on: date) -> VatRow | None:
        for key in vat_keys:
            row = _first(self._vat_rows.get(key, ()), on)
            if row is not None:
                return row
        return None

    # -- returned-goods relief ------------------------------------------------------------------

    def _relief(self, crossing: Crossing, lane: _Lane, call: _Call) -> ReliefRow | None:
        """The relief row that applies to this re-entry (time limit and reason), or None."""
        imp, passage, movement = lane.imp, lane.passage, lane.movement
        if movement is not None and not movement.relief:
            why = movement.note or movement.rule.legal_basis
            call.note(
                f"returned-goods relief not granted on the {lane.movement_reason} "
                f"({movement.rule.rule_id}: {why})"
            )
            return None
        if not passage.customs:
            call.cite(self._principles["vat_only_reentry"])
            call.note(
                f"re-entry across a VAT-only border into {imp.label}: customs returned-goods "
                "relief does not apply and VAT relief is NOT VERIFIED, so import VAT is charged"
            )
            return None
        export_date, record = crossing.export_date, crossing.original_import
        import_date = record.import_date if export_date is None and record is not None else None
        relief = self._relief_at(imp.regime, call.on, crossing.reason, export_date, import_date)
        call.cite(*relief.rules)
        for note in relief.notes:
            call.note(note)
        return relief.row

    def _relief_decision(
        self,
        regime: str,
        on: date,
        reason: ReturnReason,
        export_date: date | None,
        import_date: date | None,  # of the original import, for an unknown export date
    ) -> _Relief:
        row = _first(self._reliefs.get(regime, ()), on)
        if row is None:
            return _Relief(None, (), (f"no returned-goods relief row for {regime}",))
        cited = (row.rule,)
        if not row.available:
            return _Relief(None, cited, (f"{row.name}: not available ({row.rule.legal_basis})",))
        if reason not in row.reasons:
            return _Relief(None, cited, (f"{row.name}: reason {reason.value} does not qualify",))
        if row.limit is None:
            return _Relief(row, cited, ())
        notes: tuple[str, ...] = ()
        if export_date is None and import_date is not None:
            export_date = import_date
            notes = (
                f"export date unknown: the original import date {export_date} is taken as "
                "the export date",
            )
        if export_date is None:
            why = f"{row.name}: export date unknown, so the {row.limit} limit cannot be shown"
            return _Relief(None, cited, (f"{why}; not applied",))
        limit = row.limit.after(export_date)
        if on > limit:
            ended = f"{row.name}: the {row.limit} limit from export on {export_date} ended {limit}"
            return _Relief(None, cited, (*notes, f"{ended}; duty due"))
        return _Relief(row, cited, notes)

    # -- reclaims in the export country ---------------------------------------------------------

    def _reclaims(
        self,
        crossing: Crossing,
        lane: _Lane,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        call: _Call,
    ) -> list[_Offer]:
        """The best customs route plus, for VAT collected at checkout, the seller's route."""
        record = crossing.original_import
        if record is None:
            return []
        return self._reclaim_offers(
            record,
            lane.exp.regime,
            crossing.channel,
            lane.exits,
            crossing.reason,
            all(ln.unaltered for ln in lines),
            totals,
            call,
        )

    def _reclaimed(
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
        """(duty, VAT) of ``_reclaim_offers`` summed (memoized as ``_reclaimed_at``: the
        crossings of one request share all of these but the channel and the exit)."""
        call = _Quiet(self.fx, currency, on, {})
        duty = vat = 0
        offers = self._reclaim_offers(
            record, regime, channel, exits, reason, unaltered, dict(totals), call
        )
        for offer in offers:
            duty += offer.reclaim.duty_minor
            vat += offer.reclaim.vat_minor
        return duty, vat

    def _reclaim_offers(
        self,
        record: ImportRecord,
        regime: str,  # of the export side
        channel: Channel,
        exits: bool,  # the goods leave the export side's customs territory
        reason: ReturnReason,
        unaltered: bool,  # every item is unaltered
        totals: Mapping[str, int],
        call: _Call,
    ) -> list[_Offer]:
        routes = self._routes_at(regime, call.on, channel, exits, reason, unaltered)
        if not routes.customs and not routes.checkout:
            call.note(f"no reclaim routes in the tables for {regime}")
            return []
        found = [self._offer(route, record, totals, call) for route in routes.customs]
        candidates = [offer for offer in found if offer is not None]
        offers: list[_Offer] = []
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
        self, route: _Route, record: ImportRecord, totals: Mapping[str, int], call: _Call
    ) -> _Offer | None:
        row = route.row
        if route.out:
            if not row.offered:
                call.cite(row.rule)
            call.note(route.out)
            return None
        blocker, deadline = self._time_limits_at(row.rule.rule_id, record.import_date, call.on)
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
        if duty + vat == 0:
            return None
        if row.min_claim is not None:
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
        )
        return _Offer(row, reclaim, duty + vat)

    def _routes(
        self,
        regime: str,
        on: date,
        channel: Channel,
        customs: bool,  # the goods leave the regime's customs territory
        reason: ReturnReason,
        unaltered: bool,  # every item is unaltered
    ) -> _Routes:
        """The reclaim rows of ``regime`` in force, each with what rules it out for a crossing
        whatever the dates and amounts."""
        routes = [
            _Route(row, _out(row, channel, customs, reason, unaltered))
            for row in self._reclaim_rows.get(regime, ())
            if in_force(row.rule, on)
        ]
        return _Routes(
            tuple(r for r in routes if not r.row.checkout_vat),
            tuple(r for r in routes if r.row.checkout_vat),
        )

    def _time_limits(self, rule_id: str, import_date: date, on: date) -> tuple[str, date]:
        """Why a reclaim route's time limits rule it out on ``on`` ("" when they do not), and
        its claim deadline. Memoized: a miss costs no more than the arithmetic, and every
        crossing of a request (and every return imported the same day) shares the dates."""
        row = self._reclaims_by_id[rule_id]
        if row.export_within is not None:
            leave_by = row.export_within.after(import_date)
            if on > leave_by:
                why = f"the goods had to leave by {leave_by} ({row.export_within} after import)"
                return why, on
        deadline = row.deadline(import_date, on)
        if on > deadline:
            return f"the deadline {deadline} has passed", deadline
        return "", deadline

    # -- documents ------------------------------------------------------------------------------

    def _documents(
        self,
        crossing: Crossing,
        lane: _Lane,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        entry: _Entry,
        offers: Sequence[_Offer],
        call: _Call,
    ) -> tuple[Document, ...]:
        """Every document the crossing needs, with the reasons it is required."""
        passage = lane.passage
        found: _Found = {}
        _apply(found, lane.border_documents, lane.border_reason, lines, totals, call)
        movement = lane.movement
        if movement is not None:
            for code in movement.documents:
                _require(found, code, lane.movement_reason, movement.rule, call)
        if passage.customs and lane.export_documents:
            _apply(found, lane.export_documents, lane.export_reason, lines, totals, call)
        if passage.partial_union is not None:
            union = passage.partial_union
            for code in union.documents:
                _require(found, code, f"partial customs union {union.code}", union.rule, call)
        if entry.relief is not None:
            relief = entry.relief
            for code in relief.documents:
                _require(found, code, relief.name, relief.rule, call)
            if lane.relief_documents:
                _apply(found, lane.relief_documents, relief.name, lines, totals, call)
        for offer in offers:
            for code in offer.row.documents:
                _require(found, code, f"reclaim: {offer.row.route}", offer.row.rule, call)
        if lane.reclaim_documents and any(not offer.row.checkout_vat for offer in offers):
            _apply(found, lane.reclaim_documents, lane.reclaim_reason, lines, totals, call)
        return tuple(
            [
                self._document_at(code, "; ".join(why), rule.rule_id)
                for code, (why, rule) in found.items()
            ]
        )

    def _document(self, code: str, reasons: str, rule_id: str) -> Document:
        """A document (memoized: most reasons name no amount, so most documents recur)."""
        name = self.rulebook.document_types[code].name
        return Document(code, name, reasons, self._rules_by_id[rule_id])

    def _document_rules_in_force(
        self,
        trigger: Trigger,
        regime: str,
        channel: Channel,
        destination: str,
        origin_is_destination: bool,
        on: date,
    ) -> _DocumentRules:
        """The rules of (trigger, regime) that apply before the value test: each with "" or, when
        ``destination`` is exempt, the note that says so."""
        out = []
        for rule in self._document_rules.get((trigger, regime), ()):
            if not in_force(rule.rule, on) or (rule.channels and channel not in rule.channels):
                continue
            if destination in rule.exempt_destinations:
                out.append(
                    (
                        rule,
                        f"{rule.code} not required: {destination} is exempt ({rule.rule.rule_id})",
                    )
                )
                continue
            if rule.other_member_state_only and origin_is_destination:
                continue
            out.append((rule, ""))
        return tuple(out)


# -- helpers ----------------------------------------------------------------------------------


_Found = dict[str, tuple[list[str], RuleRef]]  # document code -> (reasons, the first rule)


def _require(found: _Found, code: str, reason: str, rule: RuleRef, call: _Call) -> None:
    """Require document ``code`` for ``reason`` (once per reason), citing ``rule``."""
    reasons, _ = found.setdefault(code, ([], rule))
    if reason not in reasons:
        reasons.append(reason)
    call.cite(rule)


def _apply(
    found: _Found,
    rules: _DocumentRules,
    reason: str,
    lines: tuple[_Line, ...],
    totals: Mapping[str, int],
    call: _Call,
) -> None:
    """Require the documents of the rules that hold for these goods, each for ``reason`` and
    the value test as text; note the rules the destination is exempt from."""
    for rule, exempt in rules:
        if exempt:
            call.note(exempt)
            continue
        if rule.when_value is None:
            _require(found, rule.code, reason, rule.rule, call)
            continue
        groups = _totals_by_hs(lines) if rule.per_line else {"consignment": totals}
        for label, group in groups.items():
            holds, value = call.test(rule.when_value, group)
            if holds:
                account = call.account(rule.when_value, value, holds)
                _require(found, rule.code, f"{reason}: {label} {account}", rule.rule, call)
                break


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


def _memo(function: Callable[..., _V], size: int = _MEMO_SIZE) -> Callable[..., _V]:
    """``function`` memoized on its (hashable) arguments, bounded to ``size`` entries."""
    return functools.lru_cache(maxsize=size)(function)


@functools.lru_cache(maxsize=256)
def _vat_due(rate_bp: int) -> str:
    return f"import VAT {rate_bp / 100:g}% due"


@functools.lru_cache(maxsize=_MEMO_SIZE)
def _hs_chapter(hs_code: str) -> int | None:
    """The chapter (first two digits) of a well-formed HS code, None for a malformed one."""
    return int(hs_code[:2]) if _HS_RE.match(hs_code) else None


def _group(rows: Iterable[_V], key: Callable[[_V], _K]) -> dict[_K, tuple[_V, ...]]:
    out: dict[_K, list[_V]] = {}
    for row in rows:
        out.setdefault(key(row), []).append(row)
    return {k: tuple(v) for k, v in out.items()}


def _first(rows: Iterable[_D], on: date) -> _D | None:
    """The first row in force on ``on`` (rows come most specific first)."""
    return next((row for row in rows if in_force(row.rule, on)), None)


def _totals(lines: Iterable[_Line]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, 0) + line.total_minor
    return totals


def _totals_by_hs(lines: Iterable[_Line]) -> dict[str, dict[str, int]]:
    by_hs: dict[str, list[_Line]] = {}
    for line in lines:
        by_hs.setdefault(f"HS {line.hs_code}", []).append(line)
    return {label: _totals(group) for label, group in by_hs.items()}


def _duty_free_reason(goods: _Goods, passage: _Passage) -> str:
    if goods.relief is not None and goods.relieved:
        return goods.relief.name
    return f"partial customs union {passage.partial_union.code}" if passage.partial_union else ""


def _relieves(relief: ReliefRow, line: _Line, call: _Call) -> bool:
    if line.chapter in relief.excluded_chapters:
        call.note(
            f"{line.path}: HS chapter {line.chapter:02d} is outside the {relief.name}; duty due"
        )
        return False
    if relief.requires_unaltered and not line.unaltered:
        call.note(f"{line.path}: altered goods are outside the {relief.name}; duty due")
        return False
    return True


@functools.cache
def default_engine() -> CustomsEngine:
    """The engine over the packaged rule tables and FX table (built once per process)."""
    fx = default_fx()
    return CustomsEngine(load_rulebook(fx), fx)


def assess(
    crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
) -> Assessment:
    """Assess one crossing with the default engine (see ``CustomsEngine.assess``)."""
    return default_engine().assess(crossing, items, on, currency=currency)
