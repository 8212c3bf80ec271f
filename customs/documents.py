"""Documents: every document a crossing needs, each with the reasons it is required.

Document rules are keyed by trigger and regime: the border itself, an export from the export
side's customs area (only when the goods leave its customs territory), a granted returned-goods
relief in the import regime, a customs reclaim in the export regime. A rule may be limited to some
channels, exempt some destinations (noted), apply only between member states, or require a value
test on the consignment or per HS code ("CN23: consignment 420.00 EUR > 300 SDR"). Movement rows,
partial unions, reliefs and reclaim routes also name documents of their own. A document required
for several reasons is listed once, its reasons joined, citing the first rule that required it.

Which rules of a trigger apply before the value test depends on the lane only: the engine keeps
them in the ``Lane`` (:meth:`Documents.rules_in_force`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from customs.api import Channel, Crossing, Document, RuleRef
from customs.borders import DocumentRules, Lane
from customs.duty import Entry
from customs.load import RuleBook
from customs.memo import Memoized, memo
from customs.reclaims import Offer
from customs.rows import Trigger, group, in_force
from customs.trace import Call
from customs.validate import Line, line_totals

__all__ = ["Documents"]

_Found = dict[str, tuple[list[str], RuleRef]]  # document code -> (reasons, the first rule)


class Documents(Memoized):
    """The document rules by (trigger, regime) and the document types (indexed once;
    ``_document_at`` memoizes ``_document``)."""

    _MEMOS = ("_document_at",)

    def __init__(self, rules: RuleBook) -> None:
        self._document_types = rules.document_types
        self._document_rules = group(rules.document_rules, lambda d: (d.trigger, d.regime))
        self._rules_by_id = {rule.rule_id: rule for rule in rules.rules()}
        self._memoize()

    def _memoize(self) -> None:
        self._document_at = memo(self._document)

    def documents(
        self,
        crossing: Crossing,
        lane: Lane,
        lines: tuple[Line, ...],
        totals: Mapping[str, int],
        entry: Entry,
        offers: Sequence[Offer],
        call: Call,
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
        name = self._document_types[code].name
        return Document(code, name, reasons, self._rules_by_id[rule_id])

    def rules_in_force(
        self,
        trigger: Trigger,
        regime: str,
        channel: Channel,
        destination: str,
        origin_is_destination: bool,
        on: date,
    ) -> DocumentRules:
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


def _require(found: _Found, code: str, reason: str, rule: RuleRef, call: Call) -> None:
    """Require document ``code`` for ``reason`` (once per reason), citing ``rule``."""
    reasons, _ = found.setdefault(code, ([], rule))
    if reason not in reasons:
        reasons.append(reason)
    call.cite(rule)


def _apply(
    found: _Found,
    rules: DocumentRules,
    reason: str,
    lines: tuple[Line, ...],
    totals: Mapping[str, int],
    call: Call,
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
        for label, group_totals in groups.items():
            holds, value = call.test(rule.when_value, group_totals)
            if holds:
                account = call.account(rule.when_value, value, holds)
                _require(found, rule.code, f"{reason}: {label} {account}", rule.rule, call)
                break


def _totals_by_hs(lines: Iterable[Line]) -> dict[str, dict[str, int]]:
    by_hs: dict[str, list[Line]] = {}
    for line in lines:
        by_hs.setdefault(f"HS {line.hs_code}", []).append(line)
    return {label: line_totals(group_lines) for label, group_lines in by_hs.items()}
