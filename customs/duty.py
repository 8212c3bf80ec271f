"""Entry charges into the import side of a crossing: de minimis, duty and import VAT.

- **Duty** by HS chapter: the most specific dated base row for (import customs area, export
  country, channel), plus any additional rows in force; none inside one customs area, and none
  for a chapter a partial union frees (unless the rate is a flat one that includes VAT).
- **De minimis** in force on the assessment date, tested against the consignment value (sum of
  value x quantity, converted at the rate of that date) or against the duty/VAT amount itself;
  the EU's flat duty per item category (8-digit subheading) where the row sets one.
- **Import VAT** on value + duty when a VAT border is crossed, for the lines not under a flat rate
  or VAT relief.
- ``Crossing.bonded_destination``: nothing due. Returned-goods relief (:mod:`customs.relief`)
  frees the lines it covers.
- An import side whose rules are not tabled (Faroe Islands, Greenland, Canary IGIC, ...) raises
  ``CustomsNotCovered`` naming the field.

The de minimis and duty rows are indexed once by (regime, export country, channel), most
specific first; a lane keeps the duty rows of each chapter it has met (``Lane.duty_by_chapter``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple, Protocol, TypeVar

from customs.api import Channel, Crossing, CustomsError, CustomsNotCovered, RuleRef
from customs.borders import Lane, Passage, Zone
from customs.load import RuleBook
from customs.relief import Reliefs, relieves
from customs.rows import (
    Basis,
    ChapterDuty,
    CheckoutScheme,
    DeMinimisRow,
    Jurisdiction,
    ReliefRow,
    VatRow,
    apply_bp,
    first_in_force,
    group,
    in_force,
)
from customs.trace import Call
from customs.validate import Line

__all__ = ["Entry", "EntryCharges", "Goods"]

_CATEGORY_DIGITS = 8  # EU flat duty: an item category = a distinct tariff subheading (CN, 8 digits)


class _Filtered(Protocol):
    """A row selected by (regime, export country, channel): de minimis and duty rates."""

    @property
    def rule(self) -> RuleRef: ...
    @property
    def regime(self) -> str: ...
    @property
    def origins(self) -> frozenset[str]: ...
    @property
    def channels(self) -> frozenset[Channel]: ...
    @property
    def specificity(self) -> int: ...


_F = TypeVar("_F", bound=_Filtered)


class Goods(NamedTuple):
    """The items as the entry charges see them."""

    lines: tuple[Line, ...]
    totals: Mapping[str, int]  # currency -> sum of line totals
    duties: Mapping[str, ChapterDuty | None]  # line path -> what sets its duty; None = duty-free
    relief: ReliefRow | None  # an available relief that applies to the crossing
    relieved: frozenset[str]  # line paths the relief covers
    duty_relieved: frozenset[str]  # ... of them, those whose duty it covers
    vat_relieved: frozenset[str]  # ... of them, those whose import VAT it covers


class Entry(NamedTuple):
    """What is due on entry into the import side."""

    duty_minor: int = 0
    vat_minor: int = 0
    de_minimis: str = ""
    relief: ReliefRow | None = None  # granted to at least one line


class VatNotCovered(CustomsNotCovered):
    """Import VAT into the import side is not tabled, but the rest of the entry is: the
    partial answer assesses the entry without it (``EntryCharges.entry(with_vat=False)``)."""


class EntryCharges:
    """Duty, de minimis and import VAT over the tables (indexed once)."""

    def __init__(self, rules: RuleBook, reliefs: Reliefs) -> None:
        self._jurisdictions: Mapping[str, Jurisdiction] = rules.jurisdictions
        self._reliefs = reliefs
        self._de_minimis = self._index(rules.de_minimis)
        self._duty_base = self._index([d for d in rules.duty_rates if not d.additional])
        self._duty_additional = self._index([d for d in rules.duty_rates if d.additional])
        self._principles = {topic: p.rule for topic, p in rules.principles.items()}
        self._checkout_schemes = group(rules.checkout_schemes, lambda x: x.regime)

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

    def entry(
        self,
        crossing: Crossing,
        lane: Lane,
        lines: tuple[Line, ...],
        totals: Mapping[str, int],
        call: Call,
        *,
        with_vat: bool = True,
    ) -> Entry:
        """What is due on entry into the import side of ``lane`` (without import VAT when not
        ``with_vat``: the partial answer when only that is not tabled)."""
        imp, passage = lane.imp, lane.passage
        if crossing.bonded_destination:
            call.cite(self._principles["bonded"])
            call.note(
                f"bonded destination: no duty or import VAT on entry into {imp.label}; both "
                "fall due if the goods are later released for free circulation"
            )
            return Entry()
        self._check_imports_assessable(imp)
        de_minimis = self._de_minimis_row(lane, crossing, call)
        relief = self._reliefs.relief(crossing, lane, call) if crossing.reentry else None
        relieved: frozenset[str] = frozenset()
        if relief is not None:
            relieved = frozenset([ln.path for ln in lines if relieves(relief, ln, call)])
        duties = {ln.path: self._line_duty_rows(lane, crossing, ln, call) for ln in lines}
        goods = Goods(
            lines,
            totals,
            duties,
            relief,
            relieved,
            relieved if relief is not None and relief.covers_duty else frozenset(),
            relieved if relief is not None and relief.covers_vat else frozenset(),
        )
        scheme = self._checkout(crossing, lane, lines, totals, call)
        duty: Mapping[str, int]
        if scheme is not None and scheme.duty_exempt:
            duty, flat_duty, duty_text = {}, 0, f"no duty ({scheme.name})"
        else:
            duty, flat_duty, duty_text = self._duty(goods, de_minimis, passage, call)
        granted = relief if relieved else None
        if not with_vat:
            return Entry(sum(duty.values()) + flat_duty, 0, duty_text, granted)
        if scheme is not None:
            vat, vat_text = 0, f"import VAT collected at checkout ({scheme.name})"
        else:
            vat, vat_text = self._vat(goods, imp, passage, de_minimis, duty, flat_duty, call)
        described = f"{duty_text}; {vat_text}" if duty_text and vat_text else duty_text or vat_text
        return Entry(
            sum(duty.values()) + flat_duty, vat, f"{de_minimis.rule.rule_id}: {described}", granted
        )

    def _checkout(
        self,
        crossing: Crossing,
        lane: Lane,
        lines: tuple[Line, ...],
        totals: Mapping[str, int],
        call: Call,
    ) -> CheckoutScheme | None:
        """The checkout-VAT scheme this crossing enters under, when it says it does and the
        import side's scheme takes the goods (cited); None otherwise (noted why)."""
        if not crossing.vat_at_checkout:
            return None
        imp = lane.imp
        scheme = first_in_force(self._checkout_schemes.get(imp.regime, ()), call.on)
        if scheme is None:
            call.note(
                f"VAT collected at checkout: {imp.regime} has no checkout-VAT scheme in the "
                "tables, so import VAT is charged at the border"
            )
            return None
        if scheme.per_item:
            for line in lines:
                within, value = call.test(scheme.limit, {line.currency: line.unit_minor})
                if not within:
                    account = call.account(scheme.limit, value, within)
                    call.note(
                        f"VAT collected at checkout, but {line.path} is outside {scheme.name}"
                        f" (unit {account}): duty and import VAT are charged at the border"
                    )
                    return None
        else:
            within, value = call.test(scheme.limit, totals)
            if not within:
                account = call.account(scheme.limit, value, within)
                call.note(
                    f"VAT collected at checkout, but the consignment is outside {scheme.name}"
                    f" ({account}): import VAT is charged at the border"
                )
                return None
        call.cite(scheme.rule)
        exempt = " and duty" if scheme.duty_exempt else ""
        call.note(
            f"import VAT{exempt} not due at the border: collected at checkout ({scheme.name})"
        )
        return scheme

    def _check_imports_assessable(self, imp: Zone) -> None:
        jurisdiction = self._jurisdictions[imp.country]
        if not jurisdiction.imports_assessable:
            raise CustomsNotCovered(
                "crossing.import_country",
                f"import rules for {imp.country} are not in the tables yet: {jurisdiction.note}",
            )

    def _de_minimis_row(self, lane: Lane, crossing: Crossing, call: Call) -> DeMinimisRow:
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

    def de_minimis_in_force(
        self, regime: str, origin: str, channel: Channel, on: date
    ) -> DeMinimisRow | None:
        """The de minimis row for a lane (kept in ``Lane.de_minimis``)."""
        return first_in_force(self._de_minimis.get((regime, origin, channel), ()), on)

    def _line_duty_rows(
        self, lane: Lane, crossing: Crossing, line: Line, call: Call
    ) -> ChapterDuty | None:
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
    ) -> ChapterDuty | None:
        """The base row and the additional rows for a chapter on ``on``; None without a base."""
        key = (regime, origin, channel)
        base = first_in_force([r for r in self._duty_base.get(key, ()) if r.covers(chapter)], on)
        if base is None:
            return None
        extra = [
            r
            for r in self._duty_additional.get(key, ())
            if r.covers(chapter) and in_force(r.rule, on)
        ]
        rows = (base, *extra)
        return ChapterDuty(
            rows,
            tuple(r.rule for r in rows),
            sum(r.rate_bp for r in rows),
            any(r.includes_vat for r in rows),
        )

    def _duty(
        self, goods: Goods, de_minimis: DeMinimisRow, passage: Passage, call: Call
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

    def _line_duty(self, line: Line, duty: ChapterDuty | None, call: Call) -> int:
        assert duty is not None  # a payable line
        call.cite(*duty.rules)
        value = call.convert(line.total_minor, line.currency, call.currency)
        return apply_bp(value, duty.rate_bp)

    def _flat_duty(self, de_minimis: DeMinimisRow, payable: Sequence[Line], call: Call) -> int:
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
        goods: Goods,
        imp: Zone,
        passage: Passage,
        de_minimis: DeMinimisRow,
        duty: Mapping[str, int],
        flat_duty: int,
        call: Call,
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

    def _vat_row(self, imp: Zone, call: Call) -> VatRow:
        if imp.vat_row is not None:
            return imp.vat_row
        if imp.territory_row is not None and not imp.territory_row.in_vat_area:
            raise VatNotCovered(
                "crossing.import_territory",
                f"import VAT of {imp.territory_row.name} ({imp.territory}) is not in the tables",
            )
        raise CustomsError("on", f"no VAT row for {imp.country} in force on {call.on}")


@functools.lru_cache(maxsize=256)
def _vat_due(rate_bp: int) -> str:
    return f"import VAT {rate_bp / 100:g}% due"


def _duty_free_reason(goods: Goods, passage: Passage) -> str:
    if goods.relief is not None and goods.relieved:
        return goods.relief.name
    return f"partial customs union {passage.partial_union.code}" if passage.partial_union else ""
