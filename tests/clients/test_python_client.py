"""The slim client (clients/python): installed into a fresh virtual environment from this
checkout, it brings neither OR-Tools nor gRPC nor the server's other libraries, and calls a
real server on a real port over HTTP: the decision the gRPC call answers, typed errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format

from reroute.v1 import routing_pb2, routing_pb2_grpc
from tests.routing.rpc.test_http import HttpServer

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "python"
EXAMPLE = ROOT / "examples" / "return.json"

SCRIPT = textwrap.dedent(
    """
    import importlib.util, json, sys
    from reroute_client import Client, RerouteError

    url, key, example = sys.argv[1:4]
    out = {"absent": [m for m in ("ortools", "grpc", "numpy", "sqlalchemy", "routing")
                      if importlib.util.find_spec(m) is not None]}
    with Client(url, api_key=key) as client:
        doc = json.loads(open(example).read())
        doc["customer_return"]["idempotency_key"] = "slim-client-1"
        d = client.route_return_json(doc)
        out["label"] = d.chosen.label
        out["net"] = d.chosen.net_cost_minor
        try:
            client.route_return_json({"customer_return": {"origin_facility_id": "x"}})
        except RerouteError as err:
            out["error"] = [err.code, err.field_violations[0][0]]
    with Client(url, api_key="wrong") as client:
        try:
            client.list_decisions()
        except RerouteError as err:
            out["unauthenticated"] = err.code
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the slim client installed (from PyPI: protobuf,
    googleapis-common-protos, connect-python and what they need)."""
    where = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    python = where / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(CLIENT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python


def test_slim_client_installs_without_the_server_and_routes(venv: Path) -> None:
    """In the fresh environment nothing of the server is importable, and the client answers
    the decision gRPC answers for the same return, and the server's errors typed."""
    server = HttpServer()
    try:
        done = subprocess.run(
            [str(venv), "-c", SCRIPT, server.http, server.key, str(EXAMPLE)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",  # not the checkout, nor its PYTHONPATH: nothing of it on the path
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        assert done.returncode == 0, done.stderr
        got = json.loads(done.stdout)
        request = json_format.Parse(EXAMPLE.read_text(), routing_pb2.RouteReturnRequest())
        request.customer_return.idempotency_key = "slim-client-grpc-1"
        with grpc.insecure_channel(server.grpc) as ch:
            over_grpc = routing_pb2_grpc.ReturnsRoutingStub(ch).RouteReturn(
                request, metadata=(("authorization", f"Bearer {server.key}"),)
            )
    finally:
        server.close()
    assert got["absent"] == []
    assert got["label"] == over_grpc.decision.chosen.label
    assert got["net"] == over_grpc.decision.chosen.net_cost_minor
    assert got["error"] == ["invalid_argument", "customer_return.items"]
    assert got["unauthenticated"] == "unauthenticated"
