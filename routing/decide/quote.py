"""A customs quote: one crossing assessed on its own (the QuoteCustoms RPC and `reroute customs`).

``QuoteInput`` is the validated request; ``quote`` turns it into a ``customs.api.Crossing``,
deciding re-entry from customs territories, and asks the same customs engine RouteReturn uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from customs.api import (
    Assessment,
    Channel,
    Crossing,
    CustomsAssessor,
    CustomsError,
    CustomsItem,
    CustomsNotCovered,
    ImportRecord,
    ReturnReason,
)
from routing.errors import InvalidInput, NoFeasibleOption, PreconditionViolation

# customs reports fields in its own terms; the wire names them after the request's fields
_FIELDS = {
    "crossing.export_country": "export_country",
    "crossing.import_country": "import_country",
    "crossing.export_territory": "export_territory",
    "crossing.import_territory": "import_territory",
    "crossing.goods_origin_country": "goods_origin_country",
    "crossing.export_date": "export_date",
    "crossing.original_import": "original_import",
    "on": "date",
    "currency": "currency",
}


@dataclass(frozen=True, slots=True)
class QuoteInput:
    export_country: str
    import_country: str
    goods_origin_country: str
    channel: Channel
    reason: ReturnReason
    items: tuple[CustomsItem, ...]
    on: date
    currency: str
    export_territory: str = ""
    import_territory: str = ""
    bonded_destination: bool = False
    original_import: ImportRecord | None = None
    export_date: date | None = None
    vat_at_checkout: bool = False  # the crossing enters under a checkout-VAT scheme


def quote(customs: CustomsAssessor, q: QuoteInput) -> Assessment:
    """Assess the crossing; bad input raises InvalidInput naming the request field."""
    try:
        origin_area = customs.customs_area(q.goods_origin_country, "", q.on)
        import_area = customs.customs_area(q.import_country, q.import_territory, q.on)
        crossing = Crossing(
            export_country=q.export_country,
            import_country=q.import_country,
            goods_origin_country=q.goods_origin_country,
            channel=q.channel,
            reason=q.reason,
            export_territory=q.export_territory,
            import_territory=q.import_territory,
            reentry=origin_area == import_area,
            bonded_destination=q.bonded_destination,
            original_import=q.original_import,
            export_date=q.export_date,
            vat_at_checkout=q.vat_at_checkout,
        )
        return customs.assess(crossing, q.items, q.on, currency=q.currency)
    except CustomsNotCovered as exc:
        raise NoFeasibleOption(
            [PreconditionViolation("CUSTOMS_NOT_COVERED", _field(exc.field), exc.reason)],
            partial=exc.partial,
        ) from exc
    except CustomsError as exc:
        raise InvalidInput.one(_field(exc.field), exc.reason) from exc


def _field(field: str) -> str:
    for prefix, wire in _FIELDS.items():
        if field == prefix or field.startswith(prefix + "."):
            return wire + field[len(prefix) :]
    return field
