"""The checked-in reroute.v1 bindings match the .proto files, and the contract keeps its rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf.descriptor import EnumDescriptor, FileDescriptor

from reroute.v1 import claims_pb2, common_pb2, customs_pb2, planning_pb2, routing_pb2

ROOT = Path(__file__).resolve().parents[1]
V1 = ROOT / "protos" / "reroute" / "v1"
GENERATED = ("*_pb2.py", "*_pb2.pyi", "*_pb2_grpc.py", "*_connect.py")
FILES: tuple[FileDescriptor, ...] = (
    claims_pb2.DESCRIPTOR,
    common_pb2.DESCRIPTOR,
    customs_pb2.DESCRIPTOR,
    planning_pb2.DESCRIPTOR,
    routing_pb2.DESCRIPTOR,
)


def _generated(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for pattern in GENERATED for p in directory.glob(pattern)}


def test_checked_in_bindings_are_fresh(tmp_path: Path) -> None:
    """Regenerating from the .proto files reproduces the checked-in bindings byte for byte."""
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "gen_protos.sh"), str(tmp_path)],
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    fresh = _generated(tmp_path / "reroute" / "v1")
    checked_in = _generated(V1)
    assert fresh, "gen_protos.sh produced nothing"
    stale = sorted(
        name for name in fresh.keys() | checked_in.keys() if fresh.get(name) != checked_in.get(name)
    )
    assert not stale, f"stale generated files {stale}: run scripts/gen_protos.sh and commit"


def test_every_proto_file_is_loaded() -> None:
    """Each .proto in protos/reroute/v1 has bindings importable as reroute.v1.<name>_pb2."""
    assert sorted(p.name for p in V1.glob("*.proto")) == sorted(Path(f.name).name for f in FILES)


def _enums(f: FileDescriptor) -> list[EnumDescriptor]:
    found = list(f.enum_types_by_name.values())
    stack = list(f.message_types_by_name.values())
    while stack:
        m = stack.pop()
        found.extend(m.enum_types)
        stack.extend(m.nested_types)
    return found


def _upper_snake(name: str) -> str:
    return "".join(f"_{c}" if c.isupper() and i else c for i, c in enumerate(name)).upper()


@pytest.mark.parametrize("enum", [e for f in FILES for e in _enums(f)], ids=lambda e: e.name)
def test_enum_starts_unspecified_and_is_prefixed(enum: EnumDescriptor) -> None:
    """Every enum's zero value is <ENUM>_UNSPECIFIED and every value carries the enum's prefix."""
    prefix = _upper_snake(enum.name) + "_"
    assert enum.values_by_number[0].name == prefix + "UNSPECIFIED"
    assert all(v.name.startswith(prefix) for v in enum.values)


def test_service_shape() -> None:
    """ReturnsRouting has a unary RouteReturn and a bidirectional-streaming RouteReturns."""
    service = routing_pb2.DESCRIPTOR.services_by_name["ReturnsRouting"]
    unary = service.methods_by_name["RouteReturn"]
    stream = service.methods_by_name["RouteReturns"]
    assert (unary.input_type.name, unary.output_type.name) == (
        "RouteReturnRequest",
        "RouteReturnResponse",
    )
    assert not unary.client_streaming
    assert not unary.server_streaming
    assert (stream.input_type.name, stream.output_type.name) == (
        "RouteReturnRequest",
        "RouteReturnsResponse",
    )
    assert stream.client_streaming
    assert stream.server_streaming
    result = routing_pb2.RouteReturnsResponse.DESCRIPTOR.oneofs_by_name["result"]
    assert [f.name for f in result.fields] == ["decision", "error"]
    status = result.fields[1].message_type
    assert status is not None
    assert status.full_name == "google.rpc.Status"


def test_generated_grpc_module_imports() -> None:
    """The service stub and servicer base exist under the documented names."""
    from reroute.v1 import routing_pb2_grpc

    assert hasattr(routing_pb2_grpc, "ReturnsRoutingStub")
    assert hasattr(routing_pb2_grpc, "ReturnsRoutingServicer")
    assert hasattr(routing_pb2_grpc, "add_ReturnsRoutingServicer_to_server")
