"""customs.codes: the one definition of country, currency, territory and HS code validity."""

from __future__ import annotations

import pytest

from customs import (
    CustomsEngine,
    CustomsError,
    RuleBook,
    is_country,
    is_currency,
    is_hs_code,
    is_subdivision,
    is_territory,
)
from customs.codes import HS_CODE_RE, TERRITORY_RE, subdivision_codes
from tests.customs.customs_builders import TODAY, crossing, item


@pytest.mark.parametrize(
    ("code", "country", "currency"),
    [
        ("DE", True, False),
        ("EUR", False, True),
        ("JPY", False, True),
        ("de", False, False),
        ("eur", False, False),
        ("XX", False, False),
        ("", False, False),
        (None, False, False),
        (49, False, False),
    ],
)
def test_countries_and_currencies_are_iso_codes_in_upper_case(
    code: object, country: bool, currency: bool
) -> None:
    """ISO 3166-1 alpha-2 and ISO 4217 as pycountry lists them; anything else is False."""
    assert (is_country(code), is_currency(code)) == (country, currency)


@pytest.mark.parametrize("code", ["ES-CN", "FI-01", "GB-NIR", "DE-HGL", "US-CA", "FR-75C"])
def test_iso_3166_2_form_is_accepted(code: str) -> None:
    """A country code, a hyphen and 1-3 letters or digits; with a country, only its own."""
    assert is_territory(code)
    assert is_territory(code, code[:2])
    assert not is_territory(code, "NL")
    assert TERRITORY_RE.match(code)


@pytest.mark.parametrize(
    "code", ["DE-ABCD", "DE-", "de-BY", "DE-by", "DEBY", "DE-BY\n", "D-BY", "", None, b"DE-BY"]
)
def test_malformed_territories_are_rejected(code: object) -> None:
    """More than three characters after the hyphen, lower case, a trailing newline: not 3166-2."""
    assert not is_territory(code)


def test_every_code_the_product_accepts_has_the_3166_2_form(rulebook: RuleBook) -> None:
    """ISO's own subdivision codes and the private ones of territories.toml all match one form,
    each under its own country."""
    assert all(is_territory(code, code[:2]) for code in subdivision_codes())
    assert all(is_territory(t.code, t.country) for t in rulebook.territories)


def test_is_subdivision_knows_iso_codes_only() -> None:
    """ISO 3166-2 lists Bavaria, not reroute's private code for Heligoland."""
    assert is_subdivision("DE-BY")
    assert not is_subdivision("DE-HGL")
    assert not is_subdivision(None)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("640399", True),
        ("6109100010", True),
        ("85076000", True),
        ("64039", False),
        ("12345678901", False),
        ("64o399", False),
        ("640399\n", False),
        ("６４０３９９", False),  # full-width digits are not ASCII digits
        (640399, False),
    ],
)
def test_hs_codes_are_6_to_10_ascii_digits(code: object, valid: bool) -> None:
    """The WCO 6-digit subheading, extended nationally up to 10 digits; digits only."""
    assert is_hs_code(code) is valid
    assert (isinstance(code, str) and HS_CODE_RE.match(code) is not None) is valid


def test_the_engine_rejects_what_is_not_an_hs_code(engine: CustomsEngine) -> None:
    """The engine validates HS codes by the same definition as the edge (no trailing newline)."""
    with pytest.raises(CustomsError) as raised:
        engine.assess(crossing("GB", "DE"), [item("640399\n")], TODAY, currency="EUR")
    assert raised.value.field == "items[0].hs_code"
