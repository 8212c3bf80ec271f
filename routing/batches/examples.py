"""Example returns used by the README, the benchmarks and the tests."""

from __future__ import annotations

from datetime import date

from customs.api import ReturnReason
from hubs.model import ConditionGrade
from routing.decide.domain import Item, Return


def sample_return(today: date) -> Return:
    """The README's example: a pair of trainers bought from the EU origin, returned from GB."""
    return Return(
        items=(
            Item(
                sku="TRAINER-42",
                hs_code="640411",
                value_minor=8999,
                currency="GBP",
                weight_g=900,
                dims_mm=(330, 210, 120),
                quantity=1,
                grade=ConditionGrade.A,
                reason=ReturnReason.WRONG_SIZE,
            ),
        ),
        customer_country="GB",
        customer_postal_code="SW1A 1AA",
        origin_facility_id="origin_de_hh",
        import_date=date(today.year, today.month, 1) if today.day > 1 else today,
        duty_paid_minor=0,
        vat_paid_minor=1500,
        paid_currency="GBP",
        return_date=today,
        vat_collected_at_checkout=True,
    )
