"""The customs engine: one ``assess`` for one crossing of a set of items on a date.

``CustomsEngine`` indexes the rule tables once (by regime, origin country and channel; by
country and territory), so an assessment is validation plus a handful of dict lookups, date
checks and integer arithmetic: no file IO and no code-list lookups per call. Routing calls it on
its hot path.

Semantics (details in the docstrings below and in the data files' headers):

- **Border.** Each side resolves to a customs area (a full union, a special territory, or the
  country) and a VAT area. Same customs area and same VAT area: no border, no amounts, no
  documents (the shared union is still named). Partial unions (EU-TR, GCC, ...) cross.
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
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, TypeVar

import pycountry

from customs.api import (
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


@dataclass(frozen=True, slots=True)
class _Line:
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

    @property
    def rules(self) -> tuple[RuleRef, ...]:
        return tuple(row.rule for row in (self.territory_row, self.full_union) if row is not None)

    @property
    def label(self) -> str:
        return self.territory or self.country


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


@dataclass(frozen=True, slots=True)
class _Goods:
    """The items as the entry charges see them."""

    lines: tuple[_Line, ...]
    totals: Mapping[str, int]  # currency -> sum of line totals
    duty_rows: Mapping[str, tuple[DutyRateRow, ...]]  # line path -> rows; () = duty-free
    relief: ReliefRow | None  # an available relief that applies to the crossing
    relieved: frozenset[str]  # line paths the relief covers

    def duty_relieved(self, line: _Line) -> bool:
        return self.relief is not None and self.relief.covers_duty and line.path in self.relieved

    def vat_relieved(self, line: _Line) -> bool:
        return self.relief is not None and self.relief.covers_vat and line.path in self.relieved


@dataclass(frozen=True, slots=True)
class _Entry:
    """What is due on entry into the import side."""

    duty_minor: int = 0
    vat_minor: int = 0
    de_minimis: str = ""
    relief: ReliefRow | None = None  # granted to at least one line


@dataclass(frozen=True, slots=True)
class _Offer:
    row: ReclaimRow
    reclaim: Reclaim
    claim_minor: int  # duty + VAT recovered, in the currency it was paid in


@dataclass(slots=True)
class _Call:
    """Scratch state of one assessment: cited rules, notes and FX conversions, in order."""

    fx: FxTable
    currency: str
    on: date
    rules: dict[str, RuleRef] = field(default_factory=dict)
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
        if key not in self.conversions:
            self.conversions[key] = self.fx.convert(
                amount_minor, from_currency, to_currency, self.on
            )
        return self.conversions[key].amount_to_minor

    def total(self, totals: Mapping[str, int], to_currency: str) -> int:
        """A sum of amounts in several currencies, each converted to ``to_currency``."""
        return sum(self.convert(amount, cur, to_currency) for cur, amount in totals.items())

    def money(self, amount_minor: int, currency: str) -> str:
        return self.fx.format(amount_minor, currency)

    def holds(self, condition: Condition, totals: Mapping[str, int]) -> tuple[bool, str]:
        """Whether the amount satisfies ``condition``, and the comparison as text."""
        value = self.total(totals, condition.currency)
        verdict = condition.op.holds(value, condition.amount_minor)
        account = (
            f"{self.money(value, condition.currency)} {condition.op.value} "
            f"{self.money(condition.amount_minor, condition.currency)}"
        )
        return verdict, account if verdict else f"not {account}"

    @property
    def confidence(self) -> Confidence:
        return weakest([rule.confidence for rule in self.rules.values()])


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
        self._territories = _group(rules.territories, lambda t: t.code)
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
        self._document_rules = _group(rules.document_rules, lambda d: (d.trigger, d.regime))
        self._principles = {topic: p.rule for topic, p in rules.principles.items()}
        self.coverage_start = max(
            min(v.rule.effective_from for v in rules.vat),
            min(d.rule.effective_from for d in rules.de_minimis),
            max(fx.first_date(c) for c in self._currencies),
        )

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
        call = _Call(self.fx, currency, on)
        exp = self._zone(crossing.export_country, crossing.export_territory, on)
        imp = self._zone(crossing.import_country, crossing.import_territory, on)
        if crossing.reentry:
            self._check_reentry(crossing, imp, on)
        passage = self._passage(exp, imp)
        call.cite(*exp.rules, *imp.rules)
        if not passage.border:
            return self._without_border(crossing, exp, imp, passage, call)
        if passage.partial_union is not None:
            call.cite(passage.partial_union.rule)
        totals = _totals(lines)
        entry = self._entry(crossing, imp, passage, lines, totals, call)
        offers = self._reclaims(crossing, exp, passage, lines, totals, call)
        documents = self._documents(crossing, exp, imp, passage, lines, totals, entry, offers, call)
        if call.conversions:
            call.note("amounts converted at the illustrative FX rates of fx.toml (FX01-FX03)")
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=True,
            union=passage.union_code,
            currency=currency,
            duty_due_minor=entry.duty_minor,
            vat_due_minor=entry.vat_minor,
            relief=entry.relief.name if entry.relief else "",
            de_minimis=entry.de_minimis,
            reclaims=tuple(offer.reclaim for offer in offers),
            documents=documents,
            rules=tuple(call.rules.values()),
            fx=tuple(call.conversions.values()),
            confidence=call.confidence,
            notes=tuple(call.notes),
        )

    def customs_area(self, country: str, territory: str, on: date) -> str:
        """The customs area a place belongs to on ``on``: a full union's code (``EU``), a special
        territory's code (``DE-HGL``) or the country. Goods re-enter their customs territory of
        origin (``Crossing.reentry``) when this matches for ``goods_origin_country``."""
        self._check_country("country", country)
        self._check_territory("territory", territory, country)
        return self._zone(country, territory, on).regime

    # -- validation -----------------------------------------------------------------------------

    def _validate(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, currency: str
    ) -> tuple[_Line, ...]:
        if not isinstance(on, date) or isinstance(on, datetime):
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
        return tuple(self._line(f"items[{i}]", item) for i, item in enumerate(items))

    def _validate_crossing(self, crossing: Crossing, on: date) -> None:
        for name in ("export_country", "import_country", "goods_origin_country"):
            self._check_country(f"crossing.{name}", getattr(crossing, name))
        self._check_territory(
            "crossing.export_territory", crossing.export_territory, crossing.export_country
        )
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
        for name in ("duty_paid_minor", "vat_paid_minor"):
            if getattr(record, name) < 0:
                raise CustomsError(f"{path}.{name}", "must be >= 0")
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
        if not code:
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
        if not isinstance(item.hs_code, str) or not _HS_RE.match(item.hs_code):
            raise CustomsError(
                f"{path}.hs_code", f"must be 6 to 10 digits, got {str(item.hs_code)[:16]!r}"
            )
        chapter = int(item.hs_code[:2])
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

    def _zone(self, country: str, territory: str, on: date) -> _Zone:
        territory_row = _first(self._territories.get(territory, ()), on) if territory else None
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
        return _Zone(country, territory, territory_row, union, regime, vat_area, vat_keys)

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
        origin = self._zone(crossing.goods_origin_country, "", on)
        if origin.regime != imp.regime:
            raise CustomsError(
                "crossing.reentry",
                f"the goods came from {crossing.goods_origin_country} ({origin.regime}) but enter "
                f"{imp.label} ({imp.regime}): a re-entry returns to the customs area of origin",
            )

    def _without_border(
        self, crossing: Crossing, exp: _Zone, imp: _Zone, passage: _Passage, call: _Call
    ) -> Assessment:
        if passage.shared_union is not None and exp.country != imp.country:
            call.note(
                f"no border: {exp.label} and {imp.label} are inside the {passage.shared_union.name}"
            )
        else:
            call.cite(self._principles["domestic"])
            call.note(
                f"no border: {exp.label} and {imp.label} share one customs territory and VAT area"
            )
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=False,
            union=passage.union_code,
            currency=call.currency,
            duty_due_minor=0,
            vat_due_minor=0,
            relief="",
            de_minimis="",
            reclaims=(),
            documents=(),
            rules=tuple(call.rules.values()),
            confidence=call.confidence,
            notes=tuple(call.notes),
        )

    # -- entry charges --------------------------------------------------------------------------

    def _entry(
        self,
        crossing: Crossing,
        imp: _Zone,
        passage: _Passage,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        call: _Call,
    ) -> _Entry:
        if crossing.bonded_destination:
            call.cite(self._principles["bonded"])
            call.note(
                f"bonded destination: no duty or import VAT on entry into {imp.label}; both "
                "fall due if the goods are later released for free circulation"
            )
            return _Entry()
        self._check_imports_assessable(imp)
        de_minimis = self._de_minimis_row(imp, crossing, call)
        relief = self._relief(crossing, imp, passage, call) if crossing.reentry else None
        relieved = frozenset(
            ln.path for ln in lines if relief is not None and _relieves(relief, ln, call)
        )
        duty_rows = {ln.path: self._duty_rows(imp, crossing, passage, ln, call) for ln in lines}
        goods = _Goods(lines, totals, duty_rows, relief, relieved)
        duty, flat_duty, duty_text = self._duty(goods, de_minimis, passage, call)
        vat, vat_text = self._vat(goods, imp, passage, de_minimis, duty, flat_duty, call)
        described = "; ".join(text for text in (duty_text, vat_text) if text)
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

    def _de_minimis_row(self, imp: _Zone, crossing: Crossing, call: _Call) -> DeMinimisRow:
        candidates = self._de_minimis.get(
            (imp.regime, crossing.export_country, crossing.channel), ()
        )
        row = _first(candidates, call.on)
        if row is not None:
            call.cite(row.rule)
            return row
        if not candidates:
            path = "crossing.import_territory" if imp.territory_row else "crossing.import_country"
            raise CustomsNotCovered(
                path, f"no import rules for {imp.label} (customs area {imp.regime}) in the tables"
            )
        raise CustomsError("on", f"no de minimis row for {imp.regime} in force on {call.on}")

    def _duty_rows(
        self, imp: _Zone, crossing: Crossing, passage: _Passage, line: _Line, call: _Call
    ) -> tuple[DutyRateRow, ...]:
        """The rows that set a line's duty; () inside one customs area or a partial union."""
        if not passage.customs:
            return ()
        key = (imp.regime, crossing.export_country, crossing.channel)
        base = _first([r for r in self._duty_base.get(key, ()) if r.covers(line.chapter)], call.on)
        if base is None:
            raise CustomsError(
                "on", f"no duty rate for {imp.regime} chapter {line.chapter:02d} on {call.on}"
            )
        union = passage.partial_union
        if union is not None and line.chapter in union.duty_free_chapters and not base.includes_vat:
            return ()
        extra = [
            r
            for r in self._duty_additional.get(key, ())
            if r.covers(line.chapter) and in_force(r.rule, call.on)
        ]
        return (base, *extra)

    def _duty(
        self, goods: _Goods, de_minimis: DeMinimisRow, passage: _Passage, call: _Call
    ) -> tuple[dict[str, int], int, str]:
        """Duty per line and the flat per-category duty (assessment currency) after de minimis."""
        if not passage.customs:
            return {}, 0, ""
        payable = [
            ln for ln in goods.lines if goods.duty_rows[ln.path] and not goods.duty_relieved(ln)
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
        duty = {ln.path: self._line_duty(ln, goods.duty_rows[ln.path], call) for ln in payable}
        if exemption is None:
            return duty, 0, "no duty de minimis"
        if exemption.basis is Basis.VALUE:
            return duty, 0, f"duty due: consignment {account}"
        waived, account = call.holds(exemption.condition, {call.currency: sum(duty.values())})
        if waived:
            return {}, 0, f"duty waived: duty {account}"
        return duty, 0, f"duty due: duty {account}"

    def _line_duty(self, line: _Line, rows: tuple[DutyRateRow, ...], call: _Call) -> int:
        call.cite(*(r.rule for r in rows))
        value = call.convert(line.total_minor, line.currency, call.currency)
        return apply_bp(value, sum(r.rate_bp for r in rows))

    def _flat_duty(self, de_minimis: DeMinimisRow, payable: Sequence[_Line], call: _Call) -> int:
        flat = de_minimis.flat_duty_per_category
        if flat is None:
            return 0
        categories = sorted({ln.hs_code[:_CATEGORY_DIGITS] for ln in payable})
        call.note(
            f"flat duty {call.money(flat.amount_minor, flat.currency)} x {len(categories)} item "
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
            ln.path for ln in goods.lines if any(r.includes_vat for r in goods.duty_rows[ln.path])
        }
        taxable = [
            ln for ln in goods.lines if ln.path not in flat_rate and not goods.vat_relieved(ln)
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
        base = sum(
            call.convert(ln.total_minor, ln.currency, call.currency) + duty.get(ln.path, 0)
            for ln in taxable
        )
        vat = apply_bp(base + flat_duty, row.rate_bp)
        due = f"import VAT {row.rate_bp / 100:g}% due"
        if exemption is not None and exemption.basis is Basis.AMOUNT:
            waived, account = call.holds(exemption.condition, {call.currency: vat})
            if waived:
                return 0, f"import VAT waived: VAT {account}"
            return vat, f"{due}: VAT {account}"
        return vat, f"{due}: consignment {account}" if account else due

    def _vat_row(self, imp: _Zone, call: _Call) -> VatRow:
        for key in imp.vat_keys:
            row = _first(self._vat_rows.get(key, ()), call.on)
            if row is not None:
                return row
        if imp.territory_row is not None and not imp.territory_row.in_vat_area:
            raise CustomsNotCovered(
                "crossing.import_territory",
                f"import VAT of {imp.territory_row.name} ({imp.territory}) is not in the tables",
            )
        raise CustomsError("on", f"no VAT row for {imp.country} in force on {call.on}")

    # -- returned-goods relief ------------------------------------------------------------------

    def _relief(
        self, crossing: Crossing, imp: _Zone, passage: _Passage, call: _Call
    ) -> ReliefRow | None:
        """The relief row that applies to this re-entry (time limit and reason), or None."""
        if not passage.customs:
            call.cite(self._principles["vat_only_reentry"])
            call.note(
                f"re-entry across a VAT-only border into {imp.label}: customs returned-goods "
                "relief does not apply and VAT relief is NOT VERIFIED, so import VAT is charged"
            )
            return None
        row = _first(self._reliefs.get(imp.regime, ()), call.on)
        if row is None:
            call.note(f"no returned-goods relief row for {imp.regime}")
            return None
        call.cite(row.rule)
        if not row.available:
            call.note(f"{row.name}: not available ({row.rule.legal_basis})")
            return None
        if crossing.reason not in row.reasons:
            call.note(f"{row.name}: reason {crossing.reason.value} does not qualify")
            return None
        if row.limit is None:
            return row
        export_date = crossing.export_date
        if export_date is None and crossing.original_import is not None:
            export_date = crossing.original_import.import_date
            call.note(
                f"export date unknown: the original import date {export_date} is taken as "
                "the export date"
            )
        if export_date is None:
            call.note(
                f"{row.name}: export date unknown, so the {row.limit} limit cannot be shown; "
                "not applied"
            )
            return None
        limit = row.limit.after(export_date)
        if call.on > limit:
            call.note(
                f"{row.name}: the {row.limit} limit from export on {export_date} ended {limit}; "
                "duty due"
            )
            return None
        return row

    # -- reclaims in the export country ---------------------------------------------------------

    def _reclaims(
        self,
        crossing: Crossing,
        exp: _Zone,
        passage: _Passage,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        call: _Call,
    ) -> list[_Offer]:
        """The best customs route plus, for VAT collected at checkout, the seller's route."""
        record = crossing.original_import
        if record is None:
            return []
        rows = [r for r in self._reclaim_rows.get(exp.regime, ()) if in_force(r.rule, call.on)]
        if not rows:
            call.note(f"no reclaim routes in the tables for {exp.regime}")
            return []
        found = [
            self._offer(r, crossing, passage, lines, totals, call)
            for r in rows
            if not r.checkout_vat
        ]
        candidates = [offer for offer in found if offer is not None]
        offers: list[_Offer] = []
        if candidates:
            best = max(candidates, key=lambda o: (o.claim_minor, o.reclaim.deadline))
            offers.append(best)
            for other in candidates:
                if other is not best:
                    call.note(
                        f"alternative reclaim route (not counted): {other.row.route}, "
                        f"by {other.reclaim.deadline}"
                    )
        if record.vat_collected_at_checkout:
            checkout = [r for r in rows if r.checkout_vat]
            if not checkout:
                call.note(
                    f"VAT was collected at checkout but {exp.regime} has no seller VAT route "
                    "in the tables"
                )
            for row in checkout:
                offer = self._offer(row, crossing, passage, lines, totals, call)
                if offer is not None:
                    offers.append(offer)
        for offer in offers:
            call.cite(offer.row.rule)
        return offers

    def _offer(
        self,
        row: ReclaimRow,
        crossing: Crossing,
        passage: _Passage,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        call: _Call,
    ) -> _Offer | None:
        record = crossing.original_import
        assert record is not None
        if not row.offered:
            call.cite(row.rule)
            why = row.note or row.rule.legal_basis
            call.note(f"reclaim route not offered: {row.route} ({why})")
            return None
        blocker = self._blocker(row, crossing, passage, lines, totals, call)
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
            enough, account = call.holds(row.min_claim, {record.currency: duty + vat})
            if not enough:
                call.note(f"reclaim route not applicable: {row.route}: claim {account}")
                return None
        reclaim = Reclaim(
            route=row.route,
            duty_minor=call.convert(duty, record.currency, call.currency),
            vat_minor=call.convert(vat, record.currency, call.currency),
            deadline=row.deadline(record.import_date, call.on),
            claimant=row.claimant,
            conditions=row.conditions,
            documents=row.documents,
            rule=row.rule,
        )
        return _Offer(row, reclaim, duty + vat)

    def _blocker(
        self,
        row: ReclaimRow,
        crossing: Crossing,
        passage: _Passage,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        call: _Call,
    ) -> str:
        """Why the route does not apply to this crossing, or "" when it does."""
        record = crossing.original_import
        assert record is not None
        if row.channels and crossing.channel not in row.channels:
            return f"channel {crossing.channel.value} not covered"
        if row.exit is Exit.CUSTOMS and not passage.customs:
            return "the goods do not leave the customs territory"
        if crossing.reason not in row.reasons:
            return f"reason {crossing.reason.value} does not qualify"
        if row.requires_unaltered and not all(ln.unaltered for ln in lines):
            return "every item must be unaltered"
        if row.export_within is not None:
            leave_by = row.export_within.after(record.import_date)
            if call.on > leave_by:
                return f"the goods had to leave by {leave_by} ({row.export_within} after import)"
        deadline = row.deadline(record.import_date, call.on)
        if call.on > deadline:
            return f"the deadline {deadline} has passed"
        if row.value_limit is not None:
            within, account = call.holds(row.value_limit, totals)
            if not within:
                return f"consignment {account}"
        return ""

    # -- documents ------------------------------------------------------------------------------

    def _documents(
        self,
        crossing: Crossing,
        exp: _Zone,
        imp: _Zone,
        passage: _Passage,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        entry: _Entry,
        offers: Sequence[_Offer],
        call: _Call,
    ) -> tuple[Document, ...]:
        """Every document the crossing needs, with the reasons it is required."""
        found: dict[str, tuple[list[str], RuleRef]] = {}

        def require(code: str, reason: str, rule: RuleRef) -> None:
            reasons, _ = found.setdefault(code, ([], rule))
            if reason not in reasons:
                reasons.append(reason)
            call.cite(rule)

        def apply(trigger: Trigger, regime: str, reason: str) -> None:
            for rule, account in self._document_rules_met(
                trigger, regime, crossing, lines, totals, call
            ):
                require(rule.code, f"{reason}: {account}" if account else reason, rule.rule)

        apply(Trigger.BORDER, "", f"border {exp.label} -> {imp.label}")
        if passage.customs:
            apply(Trigger.EXPORT, exp.regime, f"export from {exp.regime}")
        if passage.partial_union is not None:
            for code in passage.partial_union.documents:
                require(
                    code,
                    f"partial customs union {passage.partial_union.code}",
                    passage.partial_union.rule,
                )
        if entry.relief is not None:
            for code in entry.relief.documents:
                require(code, entry.relief.name, entry.relief.rule)
            apply(Trigger.RELIEF, imp.regime, entry.relief.name)
        for offer in offers:
            for code in offer.row.documents:
                require(code, f"reclaim: {offer.row.route}", offer.row.rule)
        if any(not offer.row.checkout_vat for offer in offers):
            apply(Trigger.RECLAIM, exp.regime, f"reclaim in {exp.regime}")
        names = self.rulebook.document_types
        return tuple(
            Document(code, names[code].name, "; ".join(why), rule)
            for code, (why, rule) in found.items()
        )

    def _document_rules_met(
        self,
        trigger: Trigger,
        regime: str,
        crossing: Crossing,
        lines: tuple[_Line, ...],
        totals: Mapping[str, int],
        call: _Call,
    ) -> list[tuple[DocumentRule, str]]:
        """The document rules of (trigger, regime) that hold, with the value test as text."""
        met = []
        for rule in self._document_rules.get((trigger, regime), ()):
            if not in_force(rule.rule, call.on) or (
                rule.channels and crossing.channel not in rule.channels
            ):
                continue
            if crossing.import_country in rule.exempt_destinations:
                exempt = crossing.import_country
                call.note(f"{rule.code} not required: {exempt} is exempt ({rule.rule.rule_id})")
                continue
            if (
                rule.other_member_state_only
                and crossing.goods_origin_country == crossing.import_country
            ):
                continue
            if rule.when_value is None:
                met.append((rule, ""))
                continue
            groups = _totals_by_hs(lines) if rule.per_line else {"consignment": totals}
            for label, group in groups.items():
                holds, account = call.holds(rule.when_value, group)
                if holds:
                    met.append((rule, f"{label} {account}"))
                    break
        return met


# -- helpers ----------------------------------------------------------------------------------


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
