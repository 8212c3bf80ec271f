"""What one assessment cites, notes and converts, in order: the scratch state every step writes.

A :class:`Call` is made per ``CustomsEngine.assess`` call and handed to each step (entry charges,
relief, reclaims, documents). It collects the rule rows the answer follows (each once, in the
order first cited), the notes, and the FX conversions (each amount converted once, at the rate of
the assessment date); it also tests the threshold conditions of the tables against amounts in
several currencies and words the comparison ("not 233.93 CAD <= 150.00 CAD"). Its confidence is
the weakest cited row's.

:class:`Quiet` is the same for ``CustomsEngine.amounts``, which returns none of the explanation:
it keeps no citations, notes or conversion records and words no comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from customs.api import Confidence, FxConversion, RuleRef
from customs.fx import FxTable
from customs.rows import Condition, weakest

__all__ = ["Call", "Quiet"]


@dataclass(slots=True)
class Call:
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


class Quiet(Call):
    """A ``Call`` that keeps no citations or notes and words no comparison, for ``amounts``
    (which returns none of them; nothing the engine decides reads them)."""

    __slots__ = ()

    def cite(self, *rules: RuleRef) -> None:
        pass

    def note(self, text: str) -> None:
        pass

    def holds(self, condition: Condition, totals: Mapping[str, int]) -> tuple[bool, str]:
        return self.test(condition, totals)[0], ""

    def convert(self, amount_minor: int, from_currency: str, to_currency: str) -> int:
        """``Call.convert`` without the FxConversion records (``quote.conversion(amount)`` is
        ``amount_to(amount)`` and the quote's details)."""
        if from_currency == to_currency:
            return amount_minor
        quote = self.fx.quote(from_currency, to_currency, self.on)
        if quote is None:  # convert raises, naming the reason
            return self.fx.convert(
                amount_minor, from_currency, to_currency, self.on
            ).amount_to_minor
        return quote.amount_to(amount_minor)
