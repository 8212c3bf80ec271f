"""Input validation: the date, the currency, the crossing and its items, checked before any rule
is read, in the order their errors are reported; each item becomes a validated :class:`Line`.

Owns what ``CustomsEngine.assess`` rejects as ``CustomsError`` (malformed or unknown input) or
``CustomsNotCovered`` (a valid country without rules), the :class:`Line` every later step reads,
and the first date the tables cover. The code standards themselves (ISO 3166-1 and 3166-2,
ISO 4217, HS) are :mod:`customs.codes`'; currencies here are those the FX table can convert.

The crossings of one request pass one tuple of items: the validated lines of the last tuple are
kept (for that very tuple object only) and reused.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import NamedTuple

from customs.api import (
    Channel,
    Crossing,
    CustomsError,
    CustomsItem,
    CustomsNotCovered,
    ImportRecord,
    ReturnReason,
)
from customs.codes import is_country, is_hs_code, is_territory, subdivision_codes
from customs.fx import FxTable
from customs.load import RuleBook
from customs.memo import MEMO_SIZE, Memoized
from customs.rows import Jurisdiction

__all__ = ["Line", "Validator", "coverage_start", "hs_chapter", "line_totals"]


class Line(NamedTuple):
    """One validated item line (a NamedTuple: made on every call, cheaper than a dataclass)."""

    path: str  # "items[2]"
    hs_code: str
    chapter: int
    currency: str
    total_minor: int  # value x quantity, in ``currency``
    unaltered: bool
    unit_minor: int  # the value of one unit, in ``currency``


def coverage_start(rules: RuleBook, fx: FxTable) -> date:
    """The first day the VAT, de minimis and FX tables all cover.

    FX counts the currencies the rules quote (thresholds, flat duties, limits): a currency
    whose rows start later (fx.toml) narrows only the assessments in that currency
    (``Validator.lines`` says so naming ``on``), not every assessment.
    """
    quoted = (_quoted_currencies(rules) & fx.currencies) | {fx.pivot}
    return max(
        min(v.rule.effective_from for v in rules.vat),
        min(d.rule.effective_from for d in rules.de_minimis),
        max(fx.first_date(c) for c in quoted),
    )


def _quoted_currencies(rules: RuleBook) -> frozenset[str]:
    """The currency of every amount (Money, Condition) a rule row holds."""
    tables: tuple[Sequence[object], ...] = (
        rules.vat,
        rules.de_minimis,
        rules.duty_rates,
        rules.reliefs,
        rules.reclaims,
        rules.checkout_schemes,
        rules.document_rules,
    )
    out: set[str] = set()

    def walk(value: object, depth: int) -> None:
        currency = getattr(value, "currency", None)
        if isinstance(currency, str):
            out.add(currency)
        if depth == 0:
            return
        if isinstance(value, (tuple, frozenset)):
            for item in value:
                walk(item, depth - 1)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name), depth - 1)

    for row in itertools.chain.from_iterable(tables):
        walk(row, 4)
    return frozenset(out)


class Validator(Memoized):
    """Checks the input of an assessment against the codes, currencies and dates the tables
    know; indexes built once."""

    _MEMOS = ("_last_lines",)

    def __init__(self, rules: RuleBook, fx: FxTable) -> None:
        self._currencies = fx.currencies
        self._jurisdictions: Mapping[str, Jurisdiction] = rules.jurisdictions
        self._subdivisions = subdivision_codes() | {t.code for t in rules.territories}
        # well-formed subdivision code -> its country: one lookup validates a territory
        self._subdivision_country = {
            code: code[:2] for code in self._subdivisions if is_territory(code)
        }
        self.coverage_start = coverage_start(rules, fx)
        # the first day each currency converts (fx.toml): some start after coverage_start
        self._first_dates = {c: fx.first_date(c) for c in fx.currencies}
        self._late = {c: d for c, d in self._first_dates.items() if d > self.coverage_start}
        self._memoize()

    def _memoize(self) -> None:
        # the items of the last call and their validated lines: a request's crossings pass one
        # tuple of items (held here, so its identity is not reused while it is compared)
        self._last_lines: tuple[Sequence[CustomsItem], tuple[Line, ...]] = ((), ())

    def lines(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, currency: str
    ) -> tuple[Line, ...]:
        """Validate an assessment's input; the items as validated lines."""
        if type(on) is not date and (not isinstance(on, date) or isinstance(on, datetime)):
            raise CustomsError("on", f"must be a date, got {type(on).__name__}")
        if currency not in self._currencies:
            raise CustomsError("currency", f"unknown currency {str(currency)[:8]!r} (no FX rates)")
        if on < self.coverage_start:
            raise CustomsError(
                "on", f"{on} is before the rule and FX tables start ({self.coverage_start})"
            )
        first = self._first_dates[currency]
        if on < first:
            raise CustomsError("on", f"{on} is before the first FX row of {currency} ({first})")
        self._crossing(crossing, on)
        if not items:
            raise CustomsError("items", "at least one item is required")
        last_items, last_lines = self._last_lines
        if items is last_items:  # the same (immutable) tuple as the last call's: same lines
            lines = last_lines
        else:
            lines = tuple([self._line(f"items[{i}]", item) for i, item in enumerate(items)])
            if type(items) is tuple:
                self._last_lines = (items, lines)  # one assignment: a consistent pair for threads
        if self._late:
            self._check_started(lines, on)
        return lines

    def _check_started(self, lines: Sequence[Line], on: date) -> None:
        """An item in a currency whose FX rows start after ``on`` cannot be converted."""
        for line in lines:
            first = self._late.get(line.currency)
            if first is not None and on < first:
                raise CustomsError(
                    "on",
                    f"{on} is before the first FX row of {line.currency} ({first}),"
                    f" the currency of {line.path}",
                )

    def _crossing(self, crossing: Crossing, on: date) -> None:
        countries = self._jurisdictions
        if not (
            crossing.export_country in countries
            and crossing.import_country in countries
            and crossing.goods_origin_country in countries
        ):
            for name in ("export_country", "import_country", "goods_origin_country"):
                self.check_country(f"crossing.{name}", getattr(crossing, name))
        if crossing.export_territory:
            self.check_territory(
                "crossing.export_territory", crossing.export_territory, crossing.export_country
            )
        if crossing.import_territory:
            self.check_territory(
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
            self._import_record(crossing.original_import, crossing.export_country, on)

    def _import_record(self, record: ImportRecord, export_country: str, on: date) -> None:
        path = "crossing.original_import"
        if record.country != export_country:
            # another country is allowed when it shares the export side's customs area (the
            # engine checks that once the lane is known: ``CustomsEngine._check_record``)
            self.check_country(f"{path}.country", record.country)
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

    def check_country(self, path: str, code: str) -> None:
        """A country with rules; ``CustomsNotCovered`` for a valid ISO country without any."""
        if code in self._jurisdictions:
            return
        if is_country(code):
            raise CustomsNotCovered(
                path, f"no customs rules for {code} (not in customs/data/countries.toml)"
            )
        raise CustomsError(
            path, f"unknown country code {str(code)[:8]!r} (ISO 3166-1 alpha-2, upper case)"
        )

    def check_territory(self, path: str, code: str, country: str) -> None:
        """Empty, or a subdivision of ``country``: ISO 3166-2 or one of territories.toml."""
        if not code or (isinstance(code, str) and self._subdivision_country.get(code) == country):
            return
        if not is_territory(code, country):
            raise CustomsError(
                path,
                f"must be a subdivision code of {country} ({country}-...), got {str(code)[:12]!r}",
            )
        if code not in self._subdivisions:
            raise CustomsError(
                path, f"unknown subdivision {code!r} (neither ISO 3166-2 nor in territories.toml)"
            )

    def _line(self, path: str, item: CustomsItem) -> Line:
        chapter = hs_chapter(item.hs_code) if isinstance(item.hs_code, str) else None
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
        return Line(
            path,
            item.hs_code,
            chapter,
            item.currency,
            item.value_minor * item.quantity,
            item.unaltered,
            item.value_minor,
        )


@functools.lru_cache(maxsize=MEMO_SIZE)
def hs_chapter(hs_code: str) -> int | None:
    """The chapter (first two digits) of a well-formed HS code, None for a malformed one."""
    return int(hs_code[:2]) if is_hs_code(hs_code) else None


def line_totals(lines: Iterable[Line]) -> dict[str, int]:
    """The lines' totals summed per currency."""
    out: dict[str, int] = {}
    for line in lines:
        out[line.currency] = out.get(line.currency, 0) + line.total_minor
    return out
