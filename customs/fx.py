"""A dated FX table: convert integer minor units between currencies as of a date.

Rows quote ``1 pivot = rate quote`` from ``date`` until the next row of the same currency
(``customs/data/fx.toml``, pivot EUR, values illustrative). Any pair is crossed through the pivot,
so the table is agnostic of the caller's base currency. Cross rates are computed once, at
construction, as a ``Quote`` per pair and start date; a conversion is a (memoized) bisection
for the quote and one multiplication, rounded half-even to a whole minor unit of the target
currency (ISO 4217 exponents from ``currencies.toml``: JPY/KRW 0 decimals, BHD/KWD/OMR 3, most
2). The multiplication is done in integers (each rate kept as an exact fraction) whenever the
decimal one would be exact, which is every amount below at least 10**15 minor units: the same
result as the decimal arithmetic, several times cheaper.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from importlib.resources.abc import Traversable

from customs.api import CustomsError, FxConversion
from customs.rows import Currency
from customs.tables import RuleDataError, data_dir, read_document, read_rows

_CROSS_CONTEXT = Context(prec=10)  # significant digits of a crossed rate
_ONE = Decimal(1)
_EXACT_BELOW = 10**28  # Decimal's default precision (28 digits): below it nothing is rounded
_POWERS_OF_TEN = tuple(10**exponent for exponent in range(5))  # ISO 4217 exponents are 0..4


@dataclass(frozen=True, slots=True)
class FxRate:
    """``1 base = rate quote`` from ``on`` until the next row of the same quote currency."""

    base: str
    quote: str
    rate: Decimal
    on: date
    source_id: str


@dataclass(frozen=True, slots=True)
class Quote:
    """The rate of one ordered pair from ``start`` until the pair's next change."""

    from_currency: str
    to_currency: str
    rate: Decimal
    text: str  # the rate as published (pivot legs) or crossed
    start: date
    source: str
    scale: Decimal  # 10 ** (exponent_to - exponent_from)
    # rate x scale as an exact fraction, and the bound on |amount| below which the decimal
    # product amount x rate x scale has at most 28 digits (so it is exact)
    numerator: int
    denominator: int
    exact_below: int

    def conversion(self, amount_minor: int) -> FxConversion:
        return FxConversion(
            self.from_currency,
            self.to_currency,
            self.text,  # rate
            self.start,  # rate_date
            amount_minor,
            self.amount_to(amount_minor),
            self.source,  # source_id
        )

    def amount_to(self, amount_minor: int) -> int:
        """``amount_minor`` x rate x scale, rounded half-even to a whole minor unit.

        In integers when the decimal product and the result both have at most 28 digits: then
        the decimal arithmetic (default context) is exact and gives the same; otherwise in
        decimals, which round or raise as they always did.
        """
        if type(amount_minor) is int and abs(amount_minor) < self.exact_below:
            quotient, remainder = divmod(amount_minor * self.numerator, self.denominator)
            twice = 2 * remainder
            if twice > self.denominator or (twice == self.denominator and quotient % 2 == 1):
                quotient += 1
            if abs(quotient) < _EXACT_BELOW:
                return quotient
        exact = Decimal(amount_minor) * self.rate * self.scale
        return int(exact.quantize(_ONE, rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True, slots=True)
class _Series:
    """Piecewise-constant rate of one ordered pair: ``quotes[i]`` holds from ``starts[i]``."""

    starts: tuple[date, ...]
    quotes: tuple[Quote, ...]


class FxTable:
    """Dated rates against one pivot currency, with ISO 4217 minor-unit exponents."""

    def __init__(self, rates: Sequence[FxRate], currencies: Iterable[Currency]) -> None:
        self.rates = tuple(rates)
        self.currency_rows = tuple(currencies)
        self._currencies = {c.code: c for c in self.currency_rows}
        pivots = {r.base for r in rates}
        if len(pivots) != 1:
            raise RuleDataError(
                "fx.toml", f"every rate needs the same base (pivot), got {sorted(pivots)}"
            )
        self.pivot = pivots.pop()
        legs = self._legs(rates)
        self._series = {(a, b): self._cross(legs, a, b) for a in legs for b in legs if a != b}
        self._convertible = frozenset(
            c for c in self._currencies if c == self.pivot or (c, self.pivot) in self._series
        )
        self._memoize()

    def _memoize(self) -> None:
        # the quote per (pair, date): every conversion of a day looks up the same few (bounded)
        self._quote_at = functools.lru_cache(maxsize=4096)(self._quote)

    def __getstate__(self) -> dict[str, object]:
        """Pickled without the memo (rebuilt on load)."""
        return {k: v for k, v in self.__dict__.items() if k != "_quote_at"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._memoize()

    # -- construction ---------------------------------------------------------------------

    def _legs(self, rates: Sequence[FxRate]) -> dict[str, list[FxRate]]:
        legs: dict[str, list[FxRate]] = {self.pivot: []}
        for row in sorted(rates, key=lambda r: (r.quote, r.on)):
            for code in (row.base, row.quote):
                if code not in self._currencies:
                    raise RuleDataError(
                        f"fx.toml {row.base}/{row.quote} {row.on}",
                        f"{code} is not in currencies.toml",
                    )
            if row.rate <= 0:
                raise RuleDataError(f"fx.toml {row.base}/{row.quote} {row.on}", "rate must be > 0")
            series = legs.setdefault(row.quote, [])
            if series and series[-1].on == row.on:
                raise RuleDataError(
                    f"fx.toml {row.base}/{row.quote} {row.on}", "two rows on one date"
                )
            series.append(row)
        return legs

    def _cross(self, legs: Mapping[str, list[FxRate]], a: str, b: str) -> _Series:
        """The series of ``a -> b`` (units of b per unit of a) at every date either leg changes."""
        starts = sorted({r.on for r in legs[a]} | {r.on for r in legs[b]})
        if a != self.pivot and b != self.pivot:
            first = max(legs[a][0].on, legs[b][0].on)
            starts = [d for d in starts if d >= first]
        quotes = []
        scale = Decimal(10) ** (self._currencies[b].exponent - self._currencies[a].exponent)
        for start in starts:
            leg_a, leg_b = self._leg_on(legs[a], start), self._leg_on(legs[b], start)
            rate_a = leg_a.rate if leg_a else _ONE
            rate_b = leg_b.rate if leg_b else _ONE
            if leg_a is None and leg_b is not None:
                rate, text = rate_b, format(rate_b, "f")  # pivot -> b: the row as published
            else:
                rate = _CROSS_CONTEXT.divide(rate_b, rate_a)
                text = format(rate, "f")
            source = "+".join(sorted({leg.source_id for leg in (leg_a, leg_b) if leg}))
            numerator, denominator = (rate * scale).as_integer_ratio()
            exact_below = _EXACT_BELOW // (_coefficient(rate) * _coefficient(scale))
            quote = Quote(
                a, b, rate, text, start, source, scale, numerator, denominator, exact_below
            )
            quotes.append(quote)
        return _Series(tuple(starts), tuple(quotes))

    @staticmethod
    def _leg_on(series: list[FxRate], on: date) -> FxRate | None:
        """The pivot leg in force on ``on``; ``None`` for the pivot itself (rate 1)."""
        if not series:
            return None
        index = bisect.bisect_right([r.on for r in series], on) - 1
        return series[max(index, 0)]

    # -- queries ----------------------------------------------------------------------------

    @property
    def currencies(self) -> frozenset[str]:
        """Currencies that can be converted (listed in currencies.toml and quoted in fx.toml)."""
        return self._convertible

    def exponent(self, currency: str) -> int:
        """ISO 4217 minor-unit exponent (decimals) of ``currency``."""
        try:
            return self._currencies[currency].exponent
        except KeyError:
            raise CustomsError("currency", f"unknown currency {currency[:8]!r}") from None

    def first_date(self, currency: str) -> date:
        """The first day ``currency`` can be converted (the pivot: ``date.min``)."""
        if currency == self.pivot:
            return date.min
        return self._series[(currency, self.pivot)].starts[0]

    def to_minor(self, amount: Decimal | str, currency: str) -> int:
        """A decimal amount in major units (``"150"``, ``Decimal("2.50")``) as exact minor units.

        Raises ``ValueError`` when the amount has more decimals than the currency allows.
        """
        try:
            minor = Decimal(amount).scaleb(self.exponent(currency))
        except InvalidOperation:
            raise ValueError(f"not a decimal amount: {amount!r}") from None
        if not minor.is_finite() or minor != minor.to_integral_value():
            raise ValueError(f"{amount} {currency} has more decimals than {currency} allows")
        return int(minor)

    def format(self, amount_minor: int, currency: str) -> str:
        """``15000, "EUR"`` -> ``"150.00 EUR"``."""
        row = self._currencies.get(currency)
        exponent = row.exponent if row is not None else self.exponent(currency)  # (raises)
        if type(amount_minor) is int and exponent:
            # the same text as the Decimal below, in integers (this runs on the hot path)
            size = abs(amount_minor)
            if size < _EXACT_BELOW:
                units, minor = divmod(size, _POWERS_OF_TEN[exponent])
                sign = "-" if amount_minor < 0 else ""
                return f"{sign}{units}.{str(minor).zfill(exponent)} {currency}"
        return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f} {currency}"

    def convert(
        self, amount_minor: int, from_currency: str, to_currency: str, on: date
    ) -> FxConversion:
        """``amount_minor`` of ``from_currency`` in ``to_currency`` at the rate in force on ``on``.

        Raises ``CustomsError`` naming ``from_currency``/``to_currency`` for an unknown currency
        and ``on`` for a date before every row of the pair.
        """
        if from_currency not in self._convertible or to_currency not in self._convertible:
            for name, code in (("from_currency", from_currency), ("to_currency", to_currency)):
                if code not in self._convertible:
                    raise CustomsError(name, f"no FX rates for currency {code[:8]!r}")
        if from_currency == to_currency:
            return FxConversion(from_currency, to_currency, "1", on, amount_minor, amount_minor, "")
        quote = self._quote_at(from_currency, to_currency, on)
        if quote is None:
            series = self._series[(from_currency, to_currency)]
            raise CustomsError(
                "on",
                f"{on} is before the first FX row of {from_currency}/{to_currency} "
                f"({series.starts[0]})",
            )
        return quote.conversion(amount_minor)

    def quote(self, from_currency: str, to_currency: str, on: date) -> Quote | None:
        """The quote in force on ``on`` for two different convertible currencies, None when
        there is none (``convert`` says why): ``quote.conversion(amount)`` is ``convert``."""
        if (
            from_currency != to_currency
            and from_currency in self._convertible
            and to_currency in self._convertible
        ):
            return self._quote_at(from_currency, to_currency, on)
        return None

    def _quote(self, from_currency: str, to_currency: str, on: date) -> Quote | None:
        """The quote of a pair of convertible currencies in force on ``on`` (None before it)."""
        series = self._series[(from_currency, to_currency)]
        index = bisect.bisect_right(series.starts, on) - 1
        return series.quotes[index] if index >= 0 else None


def _coefficient(number: Decimal) -> int:
    """The integer coefficient of a finite decimal (``Decimal("0.87")`` -> 87)."""
    return int("".join(map(str, number.as_tuple().digits)))


def load_fx(directory: Traversable) -> FxTable:
    """Build an ``FxTable`` from ``currencies.toml`` and ``fx.toml`` in ``directory``."""
    currencies = []
    for row in read_rows(directory, "currencies.toml", "currency"):
        currency = Currency(
            row.str("code"),
            row.str("name"),
            row.int("exponent"),
            row.str("source"),
            row.str("note", ""),
        )
        if not 0 <= currency.exponent <= 4:
            row.fail("exponent", "must be 0..4")
        row.finish()
        currencies.append(currency)
    pivot = read_document(directory, "fx.toml").get("pivot")
    rates = []
    for row in read_rows(directory, "fx.toml", "rate"):
        base, text = row.str("base"), row.str("rate")
        if base != pivot:
            row.fail("base", f"must be the pivot {pivot!r}")
        try:
            rate = Decimal(text)
        except InvalidOperation:
            row.fail("rate", f"not a decimal: {text!r}")
        rates.append(FxRate(base, row.str("quote"), rate, row.date("date"), row.str("source")))
        row.finish()
    return FxTable(rates, currencies)


@functools.cache
def default_fx() -> FxTable:
    """The FX table shipped with the package (loaded once)."""
    return load_fx(data_dir())


def to_minor(amount: Decimal | str, currency: str) -> int:
    """``amount`` (major units) as exact minor units of ``currency`` (ISO 4217 exponent)."""
    return default_fx().to_minor(amount, currency)


def format_minor(amount_minor: int, currency: str) -> str:
    """``15000, "EUR"`` -> ``"150.00 EUR"``; ``1500, "JPY"`` -> ``"1500 JPY"``."""
    return default_fx().format(amount_minor, currency)
