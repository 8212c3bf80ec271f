"""Numbers for people (Babel), the reasons a diversion is given, and the shipped basemap."""

from __future__ import annotations

import numpy as np
from matplotlib.path import Path as MplPath

from routing.whatif import basemap
from routing.whatif.fmt import country, money, number
from routing.whatif.headline import because
from routing.whatif.kpis import TERMS, Diversion


def test_money_has_thousands_separators_and_the_currency_exponent() -> None:
    """Minor units to major with a thousands separator; JPY has no decimals; whole rounds;
    a sign only when asked, and never a negative zero."""
    assert money(-8724869, "EUR") == "-87,248.69"
    assert money(-8724869, "EUR", whole=True) == "-87,249"
    assert money(123456789, "JPY") == "123,456,789"
    assert money(150, "EUR", signed=True) == "+1.50"
    assert money(-0.4, "EUR", signed=True) == "0.00"
    assert number(4128.06) == "4,128"
    assert number(3.25, 1, signed=True) == "+3.2"
    assert country("HK") == "Hong Kong"
    assert country("XX") == "XX"


def _diversion(**deltas: int) -> Diversion:
    return Diversion(
        destination="hub_b",
        instead_of="rc_a",
        returns=10,
        countries=(("FR", 10),),
        term_deltas_minor=tuple((t, deltas.get(t, 0)) for t in TERMS),
    )


def test_because_names_the_gain_and_a_material_cost() -> None:
    """The largest favourable terms carry the reason; an unfavourable total of a tenth of the
    gain or more is named against it, a smaller one is left out."""
    gain, cost = because(_diversion(recovery_value=-100000, handling=30000), "EUR")
    assert gain == "1,000 EUR more resale recovery"
    assert cost == "300 EUR more handling"
    gain, cost = because(_diversion(duty_due=-50000, parcel_carriage=-20000, handling=100), "EUR")
    assert gain == "500 EUR less import duty and 200 EUR less parcel carriage"
    assert cost == ""


def test_basemap_is_natural_earth_from_the_package() -> None:
    """The shipped 1:110m countries decode to rings in degrees: a point in the Netherlands is
    on land, one in the North Sea is not, and no ring jumps across the antimeridian."""
    world = basemap.world()
    assert len(world.rings) > 250
    assert len(world.arcs) > 500
    for ring in world.rings:
        assert np.abs(np.diff(ring[:, 0])).max(initial=0) <= 180
        assert ring[:, 1].min() >= -90
        assert ring[:, 1].max() <= 90

    def on_land(lon: float, lat: float) -> bool:
        return any(MplPath(r).contains_point((lon, lat)) for r in world.rings)

    assert on_land(5.3, 52.1)  # Utrecht
    assert on_land(114.17, 22.6)  # Shenzhen, beside the Hong Kong hub
    assert not on_land(3.0, 55.0)  # North Sea
