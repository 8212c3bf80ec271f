"""The merchant policy on the wire (RouteReturn) and in batch files, and the loss guard in the
answer: lossless round trips, and every bad field named by its path or column."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given

from hubs.model import RefundTrigger
from reroute.v1 import routing_pb2
from routing.batches.io import read_batch, write_batch
from routing.batches.schema import BatchError
from routing.decide.domain import MerchantPolicy, Return
from routing.errors import InvalidInput
from routing.rpc.wire.decisions import decision_from_proto, decision_to_proto
from routing.rpc.wire.returns import return_from_proto, return_to_proto
from tests.routing.decide.test_issue12_parcels_disposal import BULKY, a_return, router
from tests.routing.rpc.wire.test_returns import sample_return
from tests.strategies import merchant_policies, returns

TODAY = date(2026, 11, 22)
ROOT = "customer_return.merchant_policy"


@given(returns(policies=merchant_policies()))
def test_a_return_with_its_merchant_policy_round_trips(r: Return) -> None:
    """Every valid merchant policy survives to_proto -> bytes -> from_proto unchanged."""
    wire = routing_pb2.Return.FromString(return_to_proto(r).SerializeToString())
    assert return_from_proto(wire, today=TODAY) == r


def _policy_msg(**fields: object) -> routing_pb2.Return:
    """The sample return's wire form with a merchant policy of ``fields``."""
    msg = return_to_proto(sample_return())
    msg.merchant_policy.CopyFrom(routing_pb2.MerchantPolicy(**fields))  # type: ignore[arg-type]
    return msg


@pytest.mark.parametrize(
    ("fields", "path", "fragment"),
    [
        ({"max_loss_bp": -1}, f"{ROOT}.max_loss_bp", "between 0 and 1000000"),
        ({"refund_trigger": 9}, f"{ROOT}.refund_trigger", "unknown RefundTrigger value 9"),
        (
            {"keep_it_max_unit_value": {"amount_minor": -5, "currency": "EUR"}},
            f"{ROOT}.keep_it_max_unit_value.amount_minor",
            "between 0",
        ),
        (
            {"keep_it_max_unit_value": {"amount_minor": 5, "currency": "XXY"}},
            f"{ROOT}.keep_it_max_unit_value.currency",
            "unknown currency",
        ),
        (
            {
                "keep_it_max_unit_value": {"amount_minor": 5, "currency": "EUR"},
                "local_disposal_max_unit_value": {"amount_minor": 5, "currency": "USD"},
            },
            f"{ROOT}.local_disposal_max_unit_value.currency",
            "must equal keep_it_max_unit_value.currency",
        ),
    ],
)
def test_a_bad_policy_field_is_named_by_its_path(
    fields: dict[str, object], path: str, fragment: str
) -> None:
    """One bad policy field: one violation at its request path, saying why."""
    with pytest.raises(InvalidInput) as err:
        return_from_proto(_policy_msg(**fields), today=TODAY)
    assert [v.field for v in err.value.violations] == [path]
    assert fragment in err.value.violations[0].description


def test_an_unset_policy_field_takes_the_network_default() -> None:
    """Present but empty, the policy is the default one (every field the network's)."""
    got = return_from_proto(_policy_msg(), today=TODAY)
    assert got.policy == MerchantPolicy()
    got = return_from_proto(_policy_msg(refund_trigger=1, allow_local_disposal=False), today=TODAY)
    assert got.policy == MerchantPolicy(
        refund_trigger=RefundTrigger.FIRST_SCAN, allow_local_disposal=False
    )


def test_the_loss_guard_round_trips() -> None:
    """A real decision's loss guard (a bulky EUR 30 item shipped by express because the
    merchant allows no local disposal) survives to_proto -> from_proto."""
    pol = MerchantPolicy(allow_local_disposal=False)
    d = router().route(a_return(BULKY, country="JP", policy=pol), time_limit_s=0)
    assert d.loss_guard is not None
    # the wire carries no request (the store keeps it for replay)
    assert decision_from_proto(decision_to_proto(d)) == dataclasses.replace(d, request=None)
    assert decision_from_proto(decision_to_proto(d)).loss_guard == d.loss_guard
    assert decision_to_proto(d).loss_guard.excluded_because == "RETURNLESS_OVER_VALUE"
    d = router().route(a_return(BULKY, country="JP"), time_limit_s=0)
    assert d.loss_guard is None
    assert not decision_to_proto(d).HasField("loss_guard")


def test_batch_files_round_trip_the_policy(tmp_path: Path) -> None:
    """Written to CSV and Parquet and read back, returns keep their merchant policies."""
    policies = [
        MerchantPolicy(),
        MerchantPolicy(
            keep_it_max_value_minor=5000,
            local_disposal_max_value_minor=0,
            currency="USD",
            max_loss_bp=20_000,
            refund_trigger=RefundTrigger.RECEIPT,
            allow_local_disposal=False,
        ),
        MerchantPolicy(refund_trigger=RefundTrigger.FIRST_SCAN),
    ]
    batch = [(f"r{i}", sample_return(policy=p)) for i, p in enumerate(policies)]
    for name in ("b.csv", "b.parquet"):
        path = tmp_path / name
        write_batch(path, batch)
        got = read_batch(path).returns
        assert [ret.policy for _, ret in got] == policies


def test_a_bad_policy_cell_names_its_row_and_column(tmp_path: Path) -> None:
    """A cap without its currency and an unknown refund trigger: each named by row and column."""
    path = tmp_path / "b.csv"
    write_batch(path, [("r1", sample_return())])
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    rows = []
    for line in lines[1:]:
        cells = line.split(",")
        cells[header.index("keep_it_max_value_minor")] = "100"
        cells[header.index("refund_trigger")] = "on_tuesday"
        rows.append(",".join(cells))
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    with pytest.raises(BatchError) as err:
        read_batch(path)
    fields = {(e.row, e.field) for e in err.value.errors}
    assert (1, "refund_trigger") in fields
    assert any("first_scan" in e.reason for e in err.value.errors if e.field == "refund_trigger")


def test_a_stored_decision_keeps_its_loss_guard() -> None:
    """The store keeps the loss guard: it travels in the chosen option's reason codes."""
    from routing.store.codec import decode_decision, encode_decision

    pol = MerchantPolicy(allow_local_disposal=False)
    d = router().route(a_return(BULKY, country="JP", policy=pol), time_limit_s=0)
    back = decode_decision(encode_decision(d))
    assert back == d
    assert back.loss_guard == d.loss_guard
    assert back.loss_guard is not None
