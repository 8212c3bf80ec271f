"""docs/openapi.json, the HTTP edge's OpenAPI description, is generated from the protos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reroute.v1 import planning_pb2, routing_pb2

ROOT = Path(__file__).resolve().parents[1]


def test_openapi_is_fresh() -> None:
    """Regenerating docs/openapi.json from the .proto files reproduces the checked-in one."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_openapi.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_unary_method_has_a_path() -> None:
    """Each unary reroute.v1 method is a POST path; the streaming ones are listed apart."""
    doc = json.loads((ROOT / "docs" / "openapi.json").read_text())
    for file in (routing_pb2.DESCRIPTOR, planning_pb2.DESCRIPTOR):
        for service in file.services_by_name.values():
            for m in service.methods:
                route = f"/{service.full_name}/{m.name}"
                if m.client_streaming or m.server_streaming:
                    assert route in doc["x-streaming"]
                else:
                    post = doc["paths"][route]["post"]
                    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith(m.input_type.full_name)
                    assert ref.rsplit("/", 1)[-1] in doc["components"]["schemas"]
