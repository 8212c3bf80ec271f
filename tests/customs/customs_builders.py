"""Builders for customs test inputs (shared by the customs test modules)."""

from __future__ import annotations

from datetime import date

from customs import Channel, Crossing, CustomsItem, ImportRecord, ReturnReason

TODAY = date(2026, 11, 22)


def item(
    hs_code: str = "640399",
    value_minor: int = 12_000,
    currency: str = "EUR",
    *,
    quantity: int = 1,
    unaltered: bool = True,
) -> CustomsItem:
    """A 500 g item; the default is a EUR 120.00 pair of shoes (HS 6403.99)."""
    return CustomsItem(hs_code, value_minor, currency, quantity, 500, unaltered)


def crossing(
    export_country: str,
    import_country: str,
    goods_origin_country: str | None = None,
    *,
    channel: Channel = Channel.POSTAL,
    reason: ReturnReason = ReturnReason.WRONG_SIZE,
    **kwargs: object,
) -> Crossing:
    """A crossing whose goods came from ``goods_origin_country`` (default: the import country)."""
    origin = goods_origin_country or import_country
    return Crossing(export_country, import_country, origin, channel, reason, **kwargs)  # type: ignore[arg-type]


def imported(
    country: str,
    on: date,
    duty_paid_minor: int,
    vat_paid_minor: int,
    currency: str = "EUR",
    *,
    at_checkout: bool = False,
) -> ImportRecord:
    return ImportRecord(country, on, duty_paid_minor, vat_paid_minor, currency, at_checkout)
