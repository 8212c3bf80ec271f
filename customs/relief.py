"""Returned-goods relief: whether goods re-entering their customs area of origin come back free of
duty (and, where the relief says so, import VAT).

Relief applies when ``Crossing.reentry`` crosses a customs border into the area the goods came
from, for a qualifying reason, within the relief's time limit counted from
``Crossing.export_date`` (or, if unknown, the original import date, as a note says), and only to
the item lines it covers (not an excluded HS chapter; unaltered goods where required). A movement
row may rule it out (Great Britain -> Northern Ireland); across a VAT-only border it does not
apply. The entry charges (:mod:`customs.duty`) ask for the decision and apply it per line.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from customs.api import Crossing, ReturnReason, RuleRef
from customs.borders import Lane
from customs.load import RuleBook
from customs.memo import Memoized, memo
from customs.rows import ReliefRow, first_in_force, group
from customs.trace import Call
from customs.validate import Line

__all__ = ["Relief", "Reliefs", "relieves"]


class Relief(NamedTuple):
    """The returned-goods relief decision for a re-entry across a customs border, with what it
    cites and notes (memoized per import regime, assessment date, reason and export date)."""

    row: ReliefRow | None  # the relief that applies, if any
    rules: tuple[RuleRef, ...]
    notes: tuple[str, ...]


class Reliefs(Memoized):
    """The relief rows by import regime (indexed once; ``_decision_at`` memoizes ``_decision``)."""

    _MEMOS = ("_decision_at",)

    def __init__(self, rules: RuleBook) -> None:
        self._reliefs = group(rules.reliefs, lambda r: r.regime)
        self._principles = {topic: p.rule for topic, p in rules.principles.items()}
        self._memoize()

    def _memoize(self) -> None:
        self._decision_at = memo(self._decision)

    def relief(self, crossing: Crossing, lane: Lane, call: Call) -> ReliefRow | None:
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
        relief = self._decision_at(imp.regime, call.on, crossing.reason, export_date, import_date)
        call.cite(*relief.rules)
        for note in relief.notes:
            call.note(note)
        return relief.row

    def _decision(
        self,
        regime: str,
        on: date,
        reason: ReturnReason,
        export_date: date | None,
        import_date: date | None,  # of the original import, for an unknown export date
    ) -> Relief:
        row = first_in_force(self._reliefs.get(regime, ()), on)
        if row is None:
            return Relief(None, (), (f"no returned-goods relief row for {regime}",))
        cited = (row.rule,)
        if not row.available:
            return Relief(None, cited, (f"{row.name}: not available ({row.rule.legal_basis})",))
        if reason not in row.reasons:
            return Relief(None, cited, (f"{row.name}: reason {reason.value} does not qualify",))
        if row.limit is None:
            return Relief(row, cited, ())
        notes: tuple[str, ...] = ()
        if export_date is None and import_date is not None:
            export_date = import_date
            notes = (
                f"export date unknown: the original import date {export_date} is taken as "
                "the export date",
            )
        if export_date is None:
            why = f"{row.name}: export date unknown, so the {row.limit} limit cannot be shown"
            return Relief(None, cited, (f"{why}; not applied",))
        limit = row.limit.after(export_date)
        if on > limit:
            ended = f"{row.name}: the {row.limit} limit from export on {export_date} ended {limit}"
            return Relief(None, cited, (*notes, f"{ended}; duty due"))
        return Relief(row, cited, notes)


def relieves(relief: ReliefRow, line: Line, call: Call) -> bool:
    """Whether ``relief`` covers ``line`` (noting why not)."""
    if line.chapter in relief.excluded_chapters:
        call.note(
            f"{line.path}: HS chapter {line.chapter:02d} is outside the {relief.name}; duty due"
        )
        return False
    if relief.requires_unaltered and not line.unaltered:
        call.note(f"{line.path}: altered goods are outside the {relief.name}; duty due")
        return False
    return True
