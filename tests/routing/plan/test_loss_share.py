"""The plan's loss share: returns planned at a loss over their merchant policy's threshold."""

from __future__ import annotations

from routing.cli.plan_output import format_summary, plan_to_dict
from routing.decide.domain import MerchantPolicy
from routing.plan.planner import PlanConfig, loss_returns, plan_batch
from routing.solver import solve
from tests.routing.decide.test_issue12_parcels_disposal import BULKY, a_return, an_item, router


def test_the_plan_counts_returns_shipped_at_a_loss() -> None:
    """Of a bulky EUR 30 item whose merchant allows no local disposal (express at a loss of
    over EUR 1,800), the same item when local disposal is allowed, and a EUR 200 item that
    earns its return, only the first is planned at a loss; the summary and plan.json say so."""
    r = router()
    batch = [
        ("stuck", a_return(BULKY, country="JP", policy=MerchantPolicy(allow_local_disposal=False))),
        ("local", a_return(BULKY, country="JP")),
        ("fine", a_return(an_item(value=20_000))),
    ]
    plan = plan_batch(r, batch, PlanConfig(time_limit_s=10), solve=solve)
    by_id = {a.return_id: a for a in plan.assignments}
    assert by_id["local"].option == "local"
    assert loss_returns(r, batch, plan) == 1
    text = format_summary(plan, loss_returns=1)
    assert "at a loss: 1 of 3 returns (33.3 %)" in text
    assert plan_to_dict(plan, loss_returns=1)["loss_returns"] == 1
