"""The enum maps: each proto enum of the contract mirrored one to one by its domain enum."""

from __future__ import annotations

import enum

import pytest

from hubs.model import Mode
from reroute.v1 import common_pb2, customs_pb2, routing_pb2
from routing.rpc.wire import enums
from routing.rpc.wire.enums import EnumMap

ENUM_MAPS: list[EnumMap[enum.Enum, int]] = [
    m for m in vars(enums).values() if isinstance(m, EnumMap)
]


@pytest.mark.parametrize("table", ENUM_MAPS, ids=lambda m: m.proto_name)
def test_enum_maps_are_bijections(table: EnumMap[enum.Enum, int]) -> None:
    """Every domain member maps to a distinct non-zero proto value and back."""
    numbers = [table.to_proto(member) for member in table.domain]
    assert 0 not in numbers
    assert len(set(numbers)) == len(numbers)
    assert [table.from_proto(n) for n in numbers] == list(table.domain)
    with pytest.raises(ValueError, match=r"no \w+ value 0"):
        table.from_proto(0)


def test_all_proto_enums_are_mirrored() -> None:
    """Each enum of the contract has exactly one EnumMap (none forgotten)."""
    proto_enums = {
        name
        for module in (common_pb2, customs_pb2, routing_pb2)
        for name in module.DESCRIPTOR.enum_types_by_name
    }
    assert {m.proto_name for m in ENUM_MAPS} == proto_enums


def test_enum_map_refuses_a_partial_mirror() -> None:
    """A table missing a domain member fails when built (at import), not while serving."""
    with pytest.raises(TypeError, match="not mirrored"):
        EnumMap(
            Mode,
            "TransportMode",
            common_pb2.TransportMode.values(),
            {Mode.VAN: common_pb2.TRANSPORT_MODE_VAN},
        )
