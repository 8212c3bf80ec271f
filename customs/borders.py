"""Borders: where each side of a crossing stands (its customs area and VAT area, through unions and
special territories) and what lies between the two sides.

- Each side resolves to a :class:`Zone`: a customs area (a full union, a special territory, or
  the country) and a VAT area, with the VAT row in force there. A territory may follow a union it
  is not a member of for goods (``goods_area``: Northern Ireland is in the EU's areas).
- The :class:`Passage` between two zones: same customs area and same VAT area is no border (the
  shared union is still named); partial unions (EU-TR, GCC, ...) cross.
- A movement row between two places of one country overrides this for one direction (Northern
  Ireland -> Great Britain: no border; Great Britain -> Northern Ireland: a border that is no
  export from GB, so no UK export documents, customs-exit reclaims or relief).
- Without a border the whole outcome is known from the places (:class:`NoBorder`).

A :class:`Lane` is a crossing by one channel on one date, whatever the goods: both zones, the
passage, and the rows the later steps read (de minimis, document rules, duty per chapter). The
engine assembles and memoizes it (``CustomsEngine._lane``); it is defined here, below the steps
that read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from customs.api import Confidence, Crossing, CustomsError, RuleRef
from customs.load import RuleBook
from customs.memo import Memoized, memo
from customs.rows import (
    ChapterDuty,
    DeMinimisRow,
    DocumentRule,
    MovementRow,
    TerritoryRow,
    UnionKind,
    UnionRow,
    VatRow,
    first_in_force,
    group,
    low_confidence_notes,
    weakest,
)

__all__ = ["Borders", "DocumentRules", "Lane", "NoBorder", "Passage", "Zone"]


@dataclass(frozen=True, slots=True)
class Zone:
    """Where one side of a crossing stands on the assessment date."""

    country: str
    territory: str
    territory_row: TerritoryRow | None  # a special territory in force
    full_union: UnionRow | None  # the full union whose customs territory holds the zone
    regime: str  # the customs area: a full union code, a special territory code, or the country
    vat_area: str
    vat_keys: tuple[str, ...]  # VAT rows to try, most specific first
    # the rows in force on the zone's date:
    vat_row: VatRow | None  # import VAT (None: not in the tables, see ``EntryCharges._vat_row``)

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
class Passage:
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
DocumentRules = tuple[tuple[DocumentRule, str], ...]


class NoBorder(NamedTuple):
    """What an assessment without a border cites and notes (it depends on the places only)."""

    rules: tuple[RuleRef, ...]
    notes: tuple[str, ...]
    confidence: Confidence


@dataclass(frozen=True, slots=True, eq=False)  # memoized: one per key, compared by identity
class Lane:
    """A crossing by one channel on one date, whatever the goods (memoized): both sides, the
    border between them and the rows the assessment reads from the tables."""

    exp: Zone
    imp: Zone
    passage: Passage
    cited: Mapping[str, RuleRef]  # the zones' rows and a partial union's: cited first, in order
    de_minimis: DeMinimisRow | None  # None: see ``EntryCharges._de_minimis_row``
    border_documents: DocumentRules
    export_documents: DocumentRules  # of the export regime
    relief_documents: DocumentRules  # of the import regime
    reclaim_documents: DocumentRules  # of the export regime
    border_reason: str  # why the border documents are required
    export_reason: str  # ... the export documents
    reclaim_reason: str  # ... the documents of a customs reclaim
    union: str  # Assessment.union
    no_border: NoBorder | None  # the whole outcome when there is no border
    movement: MovementRow | None  # a movement row for this direction between the two places
    movement_reason: str  # why the movement's documents are required
    # the goods leave the export side's customs territory: export documents and reclaim routes
    # that need a customs exit apply (a customs border, unless a movement row says otherwise)
    exits: bool
    # chapter -> the duty rows in force for this lane (filled on first use; at most 97 entries)
    duty_by_chapter: dict[int, ChapterDuty | None] = field(default_factory=dict)


class Borders(Memoized):
    """Zones, passages and movements over the territory, union, movement and VAT tables
    (indexed once; ``zone_at`` memoizes ``zone``)."""

    _MEMOS = ("zone_at",)

    def __init__(self, rules: RuleBook) -> None:
        self._territories = group(rules.territories, lambda t: t.code)
        self._movements = group(rules.movements, lambda m: (m.origin, m.destination))
        self._unions_by_code = group(rules.unions, lambda u: u.code)
        memberships = [(m, u) for u in rules.unions if u.kind is UnionKind.FULL for m in u.members]
        self._full_unions = {
            country: tuple(union for _, union in pairs)
            for country, pairs in group(memberships, lambda pair: pair[0]).items()
        }
        self._partial_unions = tuple(u for u in rules.unions if u.kind is UnionKind.PARTIAL)
        self._vat_rows = group(rules.vat, lambda v: v.area)
        self._principles = {topic: p.rule for topic, p in rules.principles.items()}
        self._unverified = rules.unverified
        self._memoize()

    def _memoize(self) -> None:
        self.zone_at = memo(self.zone)

    def zone(self, country: str, territory: str, on: date) -> Zone:
        """Where ``country`` (and ``territory``, "" for none) stands on ``on``."""
        territory_row = (
            first_in_force(self._territories.get(territory, ()), on) if territory else None
        )
        if territory_row is not None and territory_row.customs_country:
            host = self.zone_at(territory_row.customs_country, "", on)
            return Zone(
                country,
                territory,
                territory_row,
                host.full_union,
                host.regime,
                host.vat_area,
                (territory, *host.vat_keys),
                host.vat_row,
            )
        if territory_row is not None and territory_row.goods_area:
            union = first_in_force(self._unions_by_code.get(territory_row.goods_area, ()), on)
        else:
            union = first_in_force(self._full_unions.get(country, ()), on)
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
        return Zone(
            country,
            territory,
            territory_row,
            union,
            regime,
            vat_area,
            vat_keys,
            self._vat_row_in_force(vat_keys, on),
        )

    def _vat_row_in_force(self, vat_keys: tuple[str, ...], on: date) -> VatRow | None:
        for key in vat_keys:
            row = first_in_force(self._vat_rows.get(key, ()), on)
            if row is not None:
                return row
        return None

    def movement(self, exp: Zone, imp: Zone, on: date) -> MovementRow | None:
        """The movement row in force for this direction between the two places, if any."""
        return first_in_force(self._movements.get((exp.place, imp.place), ()), on)

    def passage(self, exp: Zone, imp: Zone) -> Passage:
        shared = (
            exp.full_union
            if exp.full_union is not None and exp.full_union is imp.full_union
            else None
        )
        parties = {exp.regime, imp.regime}
        partial = next(
            (u for u in self._partial_unions if len(parties) == 2 and parties <= u.members), None
        )
        return Passage(exp.regime != imp.regime, exp.vat_area != imp.vat_area, shared, partial)

    def check_reentry(self, crossing: Crossing, imp: Zone, on: date) -> None:
        """A re-entry returns to the customs area the goods came from."""
        if crossing.goods_origin_country == imp.country:
            return  # back to the origin country: its territory (e.g. GB-NIR) is not given
        origin = self.zone_at(crossing.goods_origin_country, "", on)
        if origin.regime != imp.regime:
            raise CustomsError(
                "crossing.reentry",
                f"the goods came from {crossing.goods_origin_country} ({origin.regime}) but enter "
                f"{imp.label} ({imp.regime}): a re-entry returns to the customs area of origin",
            )

    def no_border(
        self,
        exp: Zone,
        imp: Zone,
        passage: Passage,
        cited: Mapping[str, RuleRef],
        movement: MovementRow | None,
    ) -> NoBorder:
        """What a crossing without a border cites and notes."""
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
        return NoBorder(
            tuple(rules.values()),
            (note, *low_confidence_notes(rules.values(), self._unverified)),
            weakest(rule.confidence for rule in rules.values()),
        )
