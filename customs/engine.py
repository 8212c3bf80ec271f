"""The customs engine: one ``assess`` for one crossing of a set of items on a date.

``CustomsEngine`` is the orchestration. Built once over a ``RuleBook`` and an ``FxTable``, its
parts index the rule tables (by regime, origin country and channel; by country and territory),
so an assessment is validation plus a handful of dict lookups, date checks and integer
arithmetic: no file IO and no code-list lookups per call. One assessment runs, in this order:

1. **validate** the input (:mod:`customs.validate`; code standards in :mod:`customs.codes`);
2. the **lane**: where each side stands and the border between them (:mod:`customs.borders`),
   with the rows a crossing by that channel on that date reads: de minimis (:mod:`customs.duty`)
   and document rules (:mod:`customs.documents`). No border: no amounts, no documents;
3. **entry charges** into the import side: duty, de minimis, import VAT (:mod:`customs.duty`),
   with returned-goods relief for a re-entry (:mod:`customs.relief`);
4. **reclaims** in the export country for the original import (:mod:`customs.reclaims`);
5. **documents**, with the reason each is required (:mod:`customs.documents`).

Every amount cites its row and every step notes what it decided, through one scratch
:class:`customs.trace.Call` per assessment; ``Assessment.confidence`` is the weakest cited row's.
What does not depend on the amounts is memoized in small bounded caches (:mod:`customs.memo`):
the lane (here, ``_lane_at``), the zones, the relief decision, the reclaim routes and their time
limits, the documents. No memo of ``assess`` keys on amounts.

``amounts`` is ``assess`` for the batch planner (millions of crossings): the same steps in the
same order (so the same errors), but no documents, notes, citations or Assessment; the reclaims
are summed by ``Reclaims.reclaimed_at``, a small memo keyed on a request's amounts.

**Gaps.** Import rules that are not tabled (Faroe Islands, Greenland, Canary IGIC, ...) raise
``CustomsNotCovered`` naming the field; its ``partial`` answers the rest of the crossing (the
border, reclaims in the export country, documents) with the entry charges left at 0 and noted.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import date

from customs.api import (
    Amounts,
    Assessment,
    Channel,
    Crossing,
    CustomsError,
    CustomsItem,
    CustomsNotCovered,
    RuleRef,
)
from customs.borders import Borders, Lane, NoBorder, Passage
from customs.documents import Documents
from customs.duty import Entry, EntryCharges, VatNotCovered
from customs.fx import FxTable, default_fx
from customs.load import RuleBook, load_rulebook
from customs.memo import Memoized, memo
from customs.reclaims import Reclaims
from customs.relief import Reliefs
from customs.rows import Trigger, low_confidence_notes
from customs.trace import Call, Quiet
from customs.validate import Line, Validator, line_totals

__all__ = ["CustomsEngine", "assess", "default_engine"]

_NO_AMOUNTS = Amounts(0, 0, 0, 0)  # no border: nothing due, nothing to reclaim


class CustomsEngine(Memoized):
    """Implements ``CustomsAssessor`` over a ``RuleBook`` and an ``FxTable``; indexes built once."""

    _MEMOS = ("_lane_at",)

    def __init__(self, rules: RuleBook, fx: FxTable) -> None:
        self.rulebook = rules
        self.fx = fx
        self._validator = Validator(rules, fx)
        self._borders = Borders(rules)
        self._reliefs = Reliefs(rules)
        self._charges = EntryCharges(rules, self._reliefs)
        self._reclaims = Reclaims(rules, fx)
        self._documents = Documents(rules)
        self.coverage_start = self._validator.coverage_start
        self._unverified = rules.unverified
        self._memoize()

    def _memoize(self) -> None:
        """Every memo of the engine and its parts, empty (see customs.memo)."""
        parts: tuple[Memoized, ...] = (
            self._validator,
            self._borders,
            self._reliefs,
            self._reclaims,
            self._documents,
        )
        for part in parts:
            part._memoize()
        self._lane_at = memo(self._lane)

    # -- the entry point ------------------------------------------------------------------------

    def assess(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Assessment:
        """Assess ``crossing`` of ``items`` on ``on``; amounts in ``currency`` minor units."""
        lines = self._validator.lines(crossing, items, on, currency)
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
            self._borders.check_reentry(crossing, lane.imp, on)
        self._check_record(crossing, lane, on)
        if lane.no_border is not None:
            return self._without_border(crossing, lane, lane.no_border, currency)
        call = Call(self.fx, currency, on, dict(lane.cited))
        totals = line_totals(lines)
        try:
            entry = self._charges.entry(crossing, lane, lines, totals, call)
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
                isinstance(gap, VatNotCovered),
            )
            raise
        offers = self._reclaims.of_crossing(crossing, lane, lines, totals, call)
        documents = self._documents.documents(crossing, lane, lines, totals, entry, offers, call)
        if call.conversions:
            call.note("amounts converted at the illustrative FX rates of fx.toml (sources per row)")
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=True,
            customs_border=lane.passage.customs,
            vat_border=lane.passage.vat,
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
            notes=(*call.notes, *low_confidence_notes(call.rules.values(), self._unverified)),
        )

    def amounts(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Amounts:
        """``Amounts.of(self.assess(...))``: the same steps in the same order (so the same
        errors), without the documents and the Assessment (the batch planner's hot path)."""
        lines = self._validator.lines(crossing, items, on, currency)
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
            self._borders.check_reentry(crossing, lane.imp, on)
        self._check_record(crossing, lane, on)
        if lane.no_border is not None:
            return _NO_AMOUNTS
        call = Quiet(self.fx, currency, on, {})
        totals = line_totals(lines)
        try:
            entry = self._charges.entry(crossing, lane, lines, totals, call)
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
                isinstance(gap, VatNotCovered),
            )
            raise
        record = crossing.original_import
        if record is None:
            return Amounts(entry.duty_minor, entry.vat_minor, 0, 0)
        duty, vat = self._reclaims.reclaimed_at(
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
        lane: Lane,
        lines: tuple[Line, ...],
        totals: Mapping[str, int],
        on: date,
        currency: str,
        vat_only: bool,  # only import VAT is not tabled: the rest of the entry is assessed
    ) -> Assessment:
        """The part of the assessment the tables do cover when ``gap`` stops the entry charges:
        the border, the duty and relief when only import VAT is missing, the reclaims in the
        export country and the documents (``CustomsNotCovered.partial``)."""
        call = Call(self.fx, currency, on, dict(lane.cited))
        known = None
        if vat_only:
            known = self._charges.entry(crossing, lane, lines, totals, call, with_vat=False)
        if known is None:
            call.note(
                f"entry charges into {lane.imp.label} not assessed ({gap}): "
                "duty_due_minor and vat_due_minor are 0 because they are unknown, not because "
                "nothing is due"
            )
        else:
            duty = (
                f"duty {known.duty_minor} minor units ({known.de_minimis or 'as tabled'})"
                if lane.passage.customs
                else "no duty (no customs border)"
            )
            relief = f"; relief: {known.relief.name}" if known.relief is not None else ""
            call.note(
                f"import VAT into {lane.imp.label} not assessed ({gap}): vat_due_minor is 0 "
                f"because it is unknown, not because none is due; {duty}{relief}"
            )
        entry = known if known is not None else Entry()
        offers = self._reclaims.of_crossing(crossing, lane, lines, totals, call)
        documents = self._documents.documents(crossing, lane, lines, totals, entry, offers, call)
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=True,
            customs_border=lane.passage.customs,
            vat_border=lane.passage.vat,
            union=lane.union,
            currency=currency,
            duty_due_minor=entry.duty_minor,
            vat_due_minor=0,
            relief=entry.relief.name if entry.relief is not None else "",
            de_minimis="",
            reclaims=tuple([offer.reclaim for offer in offers]),
            documents=documents,
            rules=tuple(call.rules.values()),
            fx=tuple(call.conversions.values()),
            confidence=call.confidence,
            notes=(*call.notes, *low_confidence_notes(call.rules.values(), self._unverified)),
        )

    def _check_record(self, crossing: Crossing, lane: Lane, on: date) -> None:
        """The original import was into the country the goods leave, or into another country
        of the customs area they leave from (a union's repayment is the union's, wherever
        the goods exit it)."""
        record = crossing.original_import
        if record is None or record.country == crossing.export_country:
            return
        paid_in = self._borders.zone_at(record.country, "", on).regime
        if paid_in != lane.exp.regime:
            raise CustomsError(
                "crossing.original_import.country",
                f"must be the country the goods leave ({crossing.export_country}) or one of its"
                f" customs area {lane.exp.regime}, got {record.country!r} ({paid_in})",
            )

    def customs_area(self, country: str, territory: str, on: date) -> str:
        """The customs area a place belongs to on ``on``: a full union's code (``EU``, also for
        a territory that follows it for goods, like Northern Ireland), a special territory's code
        (``DE-HGL``) or the country. Goods re-enter their customs territory of origin
        (``Crossing.reentry``) when this matches for ``goods_origin_country``."""
        self._validator.check_country("country", country)
        self._validator.check_territory("territory", territory, country)
        return self._borders.zone_at(country, territory, on).regime

    # -- the lane -------------------------------------------------------------------------------

    def _lane(
        self,
        exp_country: str,
        exp_territory: str,
        imp_country: str,
        imp_territory: str,
        channel: Channel,
        origin_is_destination: bool,  # the goods return to their origin country
        on: date,
    ) -> Lane:
        """A crossing by ``channel`` on ``on``, whatever the goods (memoized as ``_lane_at``)."""
        borders, documents = self._borders, self._documents
        exp = borders.zone_at(exp_country, exp_territory, on)
        imp = borders.zone_at(imp_country, imp_territory, on)
        movement = borders.movement(exp, imp, on)
        passage = borders.passage(exp, imp)
        if movement is not None and not movement.border:
            passage = Passage(False, False, None, None)
        union = () if passage.partial_union is None else (passage.partial_union.rule,)
        moved = () if movement is None else (movement.rule,)
        cited: dict[str, RuleRef] = {}
        for rule in (*exp.rules, *imp.rules, *union, *moved):
            cited.setdefault(rule.rule_id, rule)
        exits = passage.customs and (movement is None or movement.leaves_customs_territory)
        context = (channel, imp_country, origin_is_destination, on)
        return Lane(
            exp,
            imp,
            passage,
            cited,
            self._charges.de_minimis_in_force(imp.regime, exp_country, channel, on),
            documents.rules_in_force(Trigger.BORDER, "", *context),
            documents.rules_in_force(Trigger.EXPORT, exp.regime, *context) if exits else (),
            documents.rules_in_force(Trigger.RELIEF, imp.regime, *context),
            documents.rules_in_force(Trigger.RECLAIM, exp.regime, *context),
            f"border {exp.label} -> {imp.label}",
            f"export from {exp.regime}",
            f"reclaim in {exp.regime}",
            passage.union_code,
            None if passage.border else borders.no_border(exp, imp, passage, cited, movement),
            movement,
            f"movement {exp.place} -> {imp.place}",
            exits,
        )

    def _without_border(
        self, crossing: Crossing, lane: Lane, outcome: NoBorder, currency: str
    ) -> Assessment:
        return Assessment(
            export_country=crossing.export_country,
            import_country=crossing.import_country,
            border=False,
            customs_border=False,
            vat_border=False,
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
