"""The chosen option's reason codes say what its figures say."""

from __future__ import annotations

from datetime import date

import customs
from customs.api import ReturnReason
from hubs import default_network
from hubs.model import ConditionGrade
from routing.decide.domain import Item, Return
from routing.decide.router import Router

DAY = date(2026, 12, 1)


def _laptop(duty_minor: int, vat_minor: int) -> Return:
    """A defective EUR 1,400 laptop from New York, German origin, with what its import paid."""
    item = Item("LAP", "847130", 140_000, "EUR", 2_100, (400, 300, 60), 1, ConditionGrade.A,
                ReturnReason.DEFECTIVE)  # fmt: skip
    return Return(
        items=(item,),
        customer_country="US",
        customer_postal_code="10001",
        origin_facility_id="origin_de_hh",
        import_date=date(2026, 11, 10),
        duty_paid_minor=duty_minor,
        vat_paid_minor=vat_minor,
        paid_currency="EUR",
        return_date=DAY,
    )


def test_reclaimable_only_when_something_comes_back() -> None:
    """A reclaim route listed at 0 (nothing was paid that it repays) is no DUTY_VAT_RECLAIMABLE;
    with duty paid on the import, the drawback is."""
    router = Router(
        default_network(), customs.default_engine(), customs.default_fx(), compiled_on=DAY
    )
    nothing = router.route(_laptop(0, 0), time_limit_s=0).chosen
    assert any(
        r.duty_minor + r.vat_minor == 0
        for s in nothing.shipments
        for a in s.customs
        for r in a.reclaims
    )
    assert "DUTY_VAT_RECLAIMABLE" not in nothing.reason_codes
    paid = router.route(_laptop(5_600, 0), time_limit_s=0).chosen
    assert any(r.duty_minor > 0 for s in paid.shipments for a in s.customs for r in a.reclaims)
    assert "DUTY_VAT_RECLAIMABLE" in paid.reason_codes
