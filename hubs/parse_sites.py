"""Parsing where returns start and where they go: ``[regions.*]`` and ``[facilities.*]``.

Each reader records every problem of its entry and returns ``None`` unless the entry read
cleanly (then the domain object validates itself, its errors recorded under the TOML key).
"""

from __future__ import annotations

from hubs.model import CustomerRegion, Disposition, Facility, FacilityKind
from hubs.reading import NetworkProblems, NetworkTable, is_country, is_subdivision_of

__all__ = ["read_facility", "read_region"]


def read_region(key: str, t: NetworkTable, problems: NetworkProblems) -> CustomerRegion | None:
    """``[regions.<ISO country>]``: where customers of that country are, on average."""
    mark = problems.mark()
    if not is_country(key):
        problems.add(t.path, f"unknown country code {key!r} (ISO 3166-1 alpha-2, upper case)")
    lat = t.float("lat", low=-90.0, high=90.0)
    lon = t.float("lon", low=-180.0, high=180.0)
    territory = t.str("territory", default="")
    if territory and is_country(key) and not is_subdivision_of(territory, key):
        t.error("territory", f"unknown ISO 3166-2 subdivision {territory!r} of {key}")
    t.finish()
    if not problems.clean_since(mark):
        return None
    return CustomerRegion(country=key, lat=lat, lon=lon, territory=territory)


def read_facility(key: str, t: NetworkTable, problems: NetworkProblems) -> Facility | None:
    """``[facilities.<id>]``: an origin, a local returns centre or a hub."""
    mark = problems.mark()
    name = t.str("name", nonempty=True)
    kind = t.choice("kind", FacilityKind)
    country = t.country("country")
    lat = t.float("lat", low=-90.0, high=90.0)
    lon = t.float("lon", low=-180.0, high=180.0)
    capacity = t.int("capacity_units_per_day", low=0)
    per_parcel = t.int("handling_per_parcel_minor", low=0)
    per_unit = t.int("handling_per_unit_minor", low=0)
    currency = t.currency("currency")
    processing_days = t.int("processing_days", low=0)
    dispositions = t.choices("dispositions", Disposition, refused={Disposition.RETURNLESS})
    if Disposition.RETURNLESS in dispositions:
        t.error("dispositions", "'returnless' needs no facility: it is decided without one")
    bonded = t.bool("bonded", default=False)
    resale_factor = t.int("resale_factor_bp", low=1, default=10_000)
    territory = t.str("territory", default="")
    if territory and country and is_country(country) and not is_subdivision_of(territory, country):
        t.error("territory", f"unknown ISO 3166-2 subdivision {territory!r} of {country}")
    sources = t.sources()
    t.finish()
    if not problems.clean_since(mark) or kind is None:
        return None
    with problems.model(t.path):
        return Facility(
            id=key,
            name=name,
            kind=kind,
            country=country,
            lat=lat,
            lon=lon,
            capacity_units_per_day=capacity,
            handling_per_parcel_minor=per_parcel,
            handling_per_unit_minor=per_unit,
            currency=currency,
            processing_days=processing_days,
            dispositions=dispositions,
            bonded=bonded,
            resale_factor_bp=resale_factor,
            territory=territory,
            sources=sources,
        )
    return None
