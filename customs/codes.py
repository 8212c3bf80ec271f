"""The code standards reroute checks input against, each defined once for the whole product.

Every package validates codes through these (``customs`` here, ``routing`` and ``hubs`` on top):

- **Countries**: ISO 3166-1 alpha-2, upper case (``DE``, ``GB``), the list pycountry ships.
  :func:`is_country`, :data:`COUNTRY_CODES`.
- **Currencies**: ISO 4217 alphabetic codes, upper case (``EUR``, ``JPY``), from pycountry.
  :func:`is_currency`, :data:`CURRENCY_CODES`. (Whether reroute can *convert* a currency is the
  FX table's question: ``customs.fx.FxTable.currencies``.)
- **Subdivisions and territories**: ISO 3166-2, the country's alpha-2 code, a hyphen and 1 to 3
  letters or digits (``ES-CN`` Canary Islands, ``FI-01`` Åland, ``GB-NIR`` Northern Ireland).
  :func:`is_territory` checks that form (and, given a country, that the code is one of its);
  :func:`is_subdivision` whether ISO lists the code. Special territories without an ISO code
  (Heligoland, Büsingen...) use private three-letter suffixes of the same form
  (``customs/data/territories.toml``), so every code reroute accepts matches :data:`TERRITORY_RE`.
- **HS codes**: Harmonized System commodity codes, digits only: the 6-digit WCO subheading,
  extended nationally to 8 (EU CN), 10 (EU TARIC, US HTS) digits. :func:`is_hs_code`,
  :data:`HS_CODE_RE`. The first two digits are the chapter (01-97).

The predicates take anything and answer ``False`` for what is not a ``str``. The compiled patterns
are anchored (``\\A...\\Z``), so ``match``, ``fullmatch`` and ``search`` all test the whole string.
"""

from __future__ import annotations

import functools
import re
from typing import Final

import pycountry

__all__ = [
    "COUNTRY_CODES",
    "CURRENCY_CODES",
    "HS_CODE_RE",
    "TERRITORY_RE",
    "is_country",
    "is_currency",
    "is_hs_code",
    "is_subdivision",
    "is_territory",
    "subdivision_codes",
]

#: ISO 3166-1 alpha-2 country codes (pycountry), read once: a pycountry lookup per call is slow.
COUNTRY_CODES: Final[frozenset[str]] = frozenset(c.alpha_2 for c in pycountry.countries)
#: ISO 4217 alphabetic currency codes (pycountry).
CURRENCY_CODES: Final[frozenset[str]] = frozenset(c.alpha_3 for c in pycountry.currencies)
#: ISO 3166-2 subdivision code form: country (alpha-2), hyphen, 1-3 letters or digits.
TERRITORY_RE: Final = re.compile(r"\A[A-Z]{2}-[A-Z0-9]{1,3}\Z")
#: HS code form: 6 to 10 digits (WCO subheading, national extensions up to 10).
HS_CODE_RE: Final = re.compile(r"\A[0-9]{6,10}\Z")


def is_country(code: object) -> bool:
    """``code`` is an ISO 3166-1 alpha-2 country code (upper case)."""
    return isinstance(code, str) and code in COUNTRY_CODES


def is_currency(code: object) -> bool:
    """``code`` is an ISO 4217 alphabetic currency code (upper case)."""
    return isinstance(code, str) and code in CURRENCY_CODES


def is_territory(code: object, country: str = "") -> bool:
    """``code`` has the ISO 3166-2 form (``ES-CN``) and, when ``country`` is given, belongs to
    that country (``ES-...``). The form only: see :func:`is_subdivision` for ISO's list."""
    if not isinstance(code, str) or TERRITORY_RE.match(code) is None:
        return False
    return not country or code.startswith(country + "-")


@functools.cache
def subdivision_codes() -> frozenset[str]:
    """Every ISO 3166-2 subdivision code pycountry lists (about 5,000: read on first use)."""
    return frozenset(s.code for s in pycountry.subdivisions)


def is_subdivision(code: object) -> bool:
    """``code`` is an ISO 3166-2 subdivision code ISO lists (not reroute's private ones)."""
    return isinstance(code, str) and code in subdivision_codes()


def is_hs_code(code: object) -> bool:
    """``code`` is an HS commodity code: 6 to 10 digits."""
    return isinstance(code, str) and HS_CODE_RE.match(code) is not None
