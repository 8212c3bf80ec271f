"""Numbers for people: money, kilograms, days and country names as the report prints them.

Money is formatted by Babel (CLDR number patterns: thousands separators, the minus sign, rounding
half-even) from exact integer minor units; the currency's ISO 4217 exponent comes from the
customs FX table. The report names the currency once, in a heading or a column header, so cells
carry the number alone.
"""

from __future__ import annotations

from decimal import Decimal

import pycountry
from babel.numbers import format_decimal

from customs import default_fx

LOCALE = "en"  # the report's language; one place to change it


def major(amount_minor: int, currency: str) -> Decimal:
    """Exact major units of ``amount_minor`` (``123456, "EUR"`` -> ``Decimal("1234.56")``)."""
    return Decimal(amount_minor).scaleb(-default_fx().exponent(currency))


def money(amount_minor: float, currency: str, *, whole: bool = False, signed: bool = False) -> str:
    """``-8724869, "EUR"`` -> ``"-87,248.69"`` (``whole``: ``"-87,249"``); ``signed`` puts a
    ``+`` before a positive amount. Minor units may be a float (a mean); it is rounded first."""
    exponent = default_fx().exponent(currency)
    value = Decimal(round(amount_minor)).scaleb(-exponent)
    pattern = "#,##0" if whole or exponent == 0 else "#,##0." + "0" * exponent
    text = format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True)
    return ("+" + text) if signed and value > 0 and not text.startswith("-") else text


def number(value: float, decimals: int = 0, *, signed: bool = False) -> str:
    """``4128.1`` -> ``"4,128"``; ``decimals`` fixed; ``signed`` as :func:`money`."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = format_decimal(Decimal(str(value)), format=pattern, locale=LOCALE)
    return ("+" + text) if signed and value > 0 and text.strip("0.,") else text


def country(code: str) -> str:
    """ISO 3166-1 alpha-2 to its common English name (``"HK"`` -> ``"Hong Kong"``)."""
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)
