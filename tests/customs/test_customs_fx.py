"""The dated FX table: rates by date, minor units, half-even rounding, crosses, errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from customs import CustomsError, FxTable, default_fx, format_minor, to_minor
from customs.fx import FxRate
from customs.rows import Currency


def _table(rate: str) -> FxTable:
    """A two-currency table: 1 EUR = ``rate`` USD from 2024-01-01."""
    currencies = [Currency("EUR", "Euro", 2, "ISO01"), Currency("USD", "US dollar", 2, "ISO01")]
    return FxTable([FxRate("EUR", "USD", Decimal(rate), date(2024, 1, 1), "FX01")], currencies)


def test_same_currency_is_the_identity(fx: FxTable) -> None:
    """Converting a currency into itself returns the amount unchanged at rate 1."""
    conversion = fx.convert(12_345, "EUR", "EUR", date(2026, 11, 22))
    assert (conversion.amount_to_minor, conversion.rate) == (12_345, "1")


def test_rate_in_force_on_the_date(fx: FxTable) -> None:
    """A conversion uses the latest row dated on or before ``on``, and names that row's date."""
    before = fx.convert(10_000, "EUR", "USD", date(2026, 1, 1))
    after = fx.convert(10_000, "EUR", "USD", date(2026, 1, 2))
    assert (before.rate, before.rate_date, before.amount_to_minor) == (
        "1.1788",
        date(2025, 7, 1),
        11_788,
    )
    assert (after.rate, after.rate_date, after.amount_to_minor) == (
        "1.1700",
        date(2026, 1, 2),
        11_700,
    )
    assert after.source_id == "FX01"


def test_minor_units_follow_iso_4217(fx: FxTable) -> None:
    """EUR 100.00 is JPY 18,300 (no decimals) and KWD 35.920 (three decimals) on 2026-11-22."""
    on = date(2026, 11, 22)
    assert fx.convert(10_000, "EUR", "JPY", on).amount_to_minor == 18_300
    assert fx.convert(10_000, "EUR", "KWD", on).amount_to_minor == 35_920
    assert fx.convert(18_300, "JPY", "EUR", on).amount_to_minor == 10_000


def test_cross_rates_go_through_the_pivot(fx: FxTable) -> None:
    """USD -> GBP is GBP/EUR divided by USD/EUR, rounded to 10 significant digits."""
    conversion = fx.convert(100_000, "USD", "GBP", date(2026, 11, 22))
    assert conversion.rate == "0.7435897436"
    assert conversion.amount_to_minor == 74_359  # 1,000.00 USD -> 743.5897... GBP
    assert fx.convert(30_000, "EUR", "XDR", date(2026, 11, 22)).source_id == "FX02"


@pytest.mark.parametrize(("amount", "expected"), [(1, 2), (3, 4), (5, 8), (7, 10), (-3, -4)])
def test_rounding_is_half_even(amount: int, expected: int) -> None:
    """At a rate of 1.5, x.5 minor units round to the even neighbour (1.5->2, 4.5->4, 7.5->8)."""
    assert _table("1.5").convert(amount, "EUR", "USD", date(2024, 6, 1)).amount_to_minor == expected


def test_unknown_currency_names_the_field(fx: FxTable) -> None:
    """An unknown currency is a CustomsError naming from_currency or to_currency."""
    with pytest.raises(CustomsError) as raised:
        fx.convert(100, "ABC", "EUR", date(2026, 1, 2))
    assert raised.value.field == "from_currency"
    with pytest.raises(CustomsError) as raised:
        fx.convert(100, "EUR", "ABC", date(2026, 1, 2))
    assert raised.value.field == "to_currency"


def test_date_before_every_row_names_on(fx: FxTable) -> None:
    """A date before the first row of the pair is a CustomsError naming ``on``."""
    with pytest.raises(CustomsError) as raised:
        fx.convert(100, "EUR", "USD", date(2021, 6, 30))
    assert raised.value.field == "on"


def test_to_minor_is_exact(fx: FxTable) -> None:
    """Decimal amounts in the tables convert exactly to minor units; too many decimals fail."""
    assert fx.to_minor("150", "EUR") == 15_000
    assert fx.to_minor("10000", "JPY") == 10_000
    with pytest.raises(ValueError, match="decimals"):
        fx.to_minor("1.5", "JPY")


_FX = default_fx()
_CURRENCIES = sorted(_FX.currencies)


@given(
    a=st.integers(min_value=0, max_value=10**11),
    b=st.integers(min_value=0, max_value=10**11),
    source=st.sampled_from(_CURRENCIES),
    target=st.sampled_from(_CURRENCIES),
    on=st.dates(min_value=date(2021, 7, 1), max_value=date(2030, 12, 31)),
)
def test_conversion_is_monotonic(a: int, b: int, source: str, target: str, on: date) -> None:
    """A larger amount never converts to a smaller one, and zero stays zero (so a converted refund
    can never exceed the converted amount paid)."""
    on = max(on, _FX.first_date(source), _FX.first_date(target))  # some currencies start later
    low, high = sorted((a, b))
    assert (
        _FX.convert(low, source, target, on).amount_to_minor
        <= _FX.convert(high, source, target, on).amount_to_minor
    )
    assert _FX.convert(0, source, target, on).amount_to_minor == 0


def test_module_level_minor_unit_helpers() -> None:
    """to_minor/format_minor use the ISO 4217 exponents of the default table."""
    assert to_minor(Decimal("2.50"), "EUR") == 250
    assert to_minor("1500", "JPY") == 1500
    assert to_minor("1.234", "KWD") == 1234
    assert format_minor(-1234, "EUR") == "-12.34 EUR"
    assert format_minor(1500, "JPY") == "1500 JPY"
    with pytest.raises(ValueError, match="decimals"):
        to_minor("1.234", "EUR")
    with pytest.raises(ValueError, match="unknown currency"):
        to_minor("1", "ABC")
