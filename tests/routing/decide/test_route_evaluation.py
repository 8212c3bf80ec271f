"""RouteReturn's one-step evaluation (``base_evaluation`` with the route's customs charges) is
``add_customs(evaluate_base(...))`` field for field, on generated returns of the default
network (routes without a customs gap)."""

from __future__ import annotations

from datetime import date

import customs
from hubs import default_network
from routing.batches.generate import generate_returns
from routing.decide.base_costs import base_numbers
from routing.decide.costing import add_customs, base_evaluation, evaluate_base
from routing.decide.customs_terms import route_customs_charges
from routing.decide.router import Router
from routing.errors import PreconditionViolation

ON = date(2026, 11, 22)


def test_one_step_evaluation_equals_base_plus_customs() -> None:
    network = default_network()
    router = Router(network, customs.default_engine(), customs.default_fx(), compiled_on=ON)
    compared = 0
    for _, ret in generate_returns(40, seed=3, network=network, start=date(2026, 11, 2)):
        origin, _, ctx, whole = router._context(ret)
        for route in router.compiled.routes(ret.customer_country, origin.id):
            numbers = base_numbers(ctx, route, whole, 10_000)
            reference = evaluate_base(ctx, route, whole, 10_000)
            if isinstance(numbers, PreconditionViolation):
                assert numbers == reference
                continue
            assert not isinstance(reference, PreconditionViolation)
            assert base_evaluation(route, whole, 10_000, numbers) == reference
            charges = route_customs_charges(ctx, route, whole)
            full = add_customs(ctx, reference)
            if isinstance(charges, PreconditionViolation):
                assert charges == full
                continue
            assert base_evaluation(route, whole, 10_000, numbers, charges) == full
            compared += 1
    assert compared > 100
