"""The small values every message carries: dates, money, territory codes, to and from the wire.

The parsers record a violation at the field's request path and return None rather than raise,
so a converter reports every bad field of a message at once.
"""

from __future__ import annotations

from datetime import date

from google.protobuf.message import Message
from google.type import date_pb2

from customs.codes import is_territory
from reroute.v1 import common_pb2
from routing.decide.domain import (
    LATEST_DATE,
    MAX_VALUE_MINOR,
    Violations,
    check_currency,
    check_int_range,
)

__all__ = [
    "check_territory",
    "date_to_proto",
    "money_to_proto",
    "parse_date",
    "parse_money",
    "parse_required_date",
    "within_calendar",
]


def date_to_proto(d: date) -> date_pb2.Date:
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def parse_date(v: Violations, path: str, d: date_pb2.Date) -> date | None:
    year, month, day = int(d.year), int(d.month), int(d.day)
    try:
        return date(year, month, day)
    except ValueError:
        v.add(
            path,
            f"must be a valid calendar date (year 1-9999), got {year:04d}-{month:02d}-{day:02d}",
        )
        return None


def within_calendar(v: Violations, path: str, d: date | None) -> date | None:
    """``d`` when it is on or before LATEST_DATE (dates past it cannot be routed or quoted:
    deadlines added to them leave the calendar); else a violation and None."""
    if d is not None and d > LATEST_DATE:
        v.add(path, f"must be on or before {LATEST_DATE}, got {d}")
        return None
    return d


def parse_required_date(v: Violations, path: str, parent: Message, name: str) -> date | None:
    if not parent.HasField(name):
        v.add(path, "is required")
        return None
    d: date_pb2.Date = getattr(parent, name)
    return parse_date(v, path, d)


def money_to_proto(amount_minor: int, currency: str) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount_minor, currency=currency)


def parse_money(
    v: Violations, path: str, parent: Message, name: str, *, lo: int
) -> tuple[int, str] | None:
    """A required Money field: amount within lo..MAX_VALUE_MINOR and an ISO 4217 currency."""
    if not parent.HasField(name):
        v.add(path, "is required")
        return None
    m: common_pb2.Money = getattr(parent, name)
    before = len(v.items)
    check_int_range(v, f"{path}.amount_minor", m.amount_minor, lo, MAX_VALUE_MINOR)
    check_currency(v, f"{path}.currency", m.currency)
    return (m.amount_minor, m.currency) if len(v.items) == before else None


def check_territory(v: Violations, path: str, territory: str, country: str) -> None:
    """An optional territory: empty, or an ISO 3166-2 style code of ``country``."""
    if territory and not is_territory(territory, country):
        v.add(
            path,
            f"must be an ISO 3166-2 style code of {country or '?'}-..., got {territory[:16]!r}",
        )
