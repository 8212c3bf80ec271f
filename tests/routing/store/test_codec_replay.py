"""The stored form keeps what a replay needs (issue 12 item 7): the options excluded, the
network and rules versions, and the canonical request, appended to format 1 compatibly."""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import given, settings

from hubs import default_network
from routing.batches.examples import sample_return
from routing.decide.domain import Return
from routing.rpc.app import RoutingApp
from routing.store.codec import FORMAT_V1, decode_decision, encode_decision
from tests.routing.store.test_codec import GOLDEN, GOLDEN_NOW, golden_decision
from tests.strategies import returns

DAY = date(2026, 11, 2)


def test_a_routed_decision_keeps_its_request_versions_and_exclusions() -> None:
    """A decision as the router makes it reads back equal, request and all, in format 1."""
    app = RoutingApp(default_network(), compiled_on=DAY)
    decision = app.router.route(sample_return(DAY))
    assert decision.request is not None
    assert decision.excluded
    assert len(decision.network_version) == len(decision.rules_version) == 64
    blob = encode_decision(decision)
    assert blob[0] == FORMAT_V1
    back = decode_decision(blob)
    assert back == decision
    assert back.request == decision.request


def test_a_decision_without_them_is_written_as_before() -> None:
    """Nothing appended to the decision when there is nothing to keep: the golden blob of
    format 1 (written before these fields existed) reads back with no request, no exclusions
    and unknown versions, and such a decision encodes to today's golden bytes, whose
    decision array has no more elements than the old one's (the nested assessments gained
    two trailing fields of their own: tests/routing/store/test_codec.py)."""
    old = decode_decision(GOLDEN.read_bytes())
    assert old.request is None
    assert old.excluded == ()
    assert old.network_version == old.rules_version == ""
    blob = encode_decision(golden_decision())
    assert blob == GOLDEN_NOW.read_bytes()
    assert blob[1] == GOLDEN.read_bytes()[1]  # the same fixarray header: no field appended


@settings(max_examples=40, deadline=None)
@given(ret=returns())
def test_any_request_round_trips_in_the_stored_form(ret: Return) -> None:
    """Every valid request (any items, constraints, territory) is kept exactly."""
    d = dataclasses.replace(golden_decision(), request=ret, network_version="n", rules_version="r")
    assert decode_decision(encode_decision(d)) == d
