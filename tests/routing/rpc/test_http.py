"""The HTTP edge on a real server on real ports: `reroute serve --http-port 0` in its own
process with API keys, called by curl (the README's command), by connect-python's client over
the Connect protocol (binary) and gRPC-Web, and by gRPC, all answering alike.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.protocol import ProtocolType
from google.protobuf import json_format
from google.rpc import error_details_pb2

from reroute.v1 import common_pb2, customs_pb2, planning_pb2, routing_pb2, routing_pb2_grpc
from reroute.v1.planning_connect import BatchPlanningClientSync
from reroute.v1.routing_connect import ReturnsRoutingClientSync
from routing.rpc.http import json_field

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "return.json"


class HttpServer:
    def __init__(self) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in close())
        self.data = tempfile.TemporaryDirectory()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "REROUTE_DATA_DIR": self.data.name}
        env.pop("REROUTE_DATABASE_URL", None)
        cmd = [sys.executable, "-m", "routing.cli.main", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", "0", "--http-port", "0", "--metrics-port", "0", "--rate-limit", "0"]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env
        )
        assert self.proc.stdout is not None
        self.http = self.grpc = self.metrics = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.grpc:
            line = self.proc.stdout.readline()
            if found := re.search(r"Connect/gRPC-Web on (http://\S+)", line):
                self.http = found.group(1)
            if found := re.search(r"metrics on (http://\S+)", line):
                self.metrics = found.group(1)
            if "listening on" in line:
                self.grpc = line.rsplit(" ", 1)[-1].strip()
            if self.proc.poll() is not None:
                break
        if not (self.http and self.grpc):
            self.close()
            raise RuntimeError("server did not start")
        self.key = (Path(self.data.name) / "default.key").read_text().strip()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()
        self.data.cleanup()


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    s = HttpServer()
    yield s
    s.close()


def _example(key: str) -> routing_pb2.RouteReturnRequest:
    request = json_format.Parse(EXAMPLE.read_text(), routing_pb2.RouteReturnRequest())
    request.customer_return.idempotency_key = key
    return request


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _violations(answer: dict[str, object]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for d in answer.get("details", []):  # type: ignore[attr-defined]
        assert d["type"] == "google.rpc.BadRequest"
        raw = base64.b64decode(d["value"] + "=" * (-len(d["value"]) % 4))
        bad = error_details_pb2.BadRequest.FromString(raw)
        found += [(v.field, v.description) for v in bad.field_violations]
    return found


def test_curl_answers_the_decision_grpc_answers(server: HttpServer) -> None:
    """The README's curl call answers RouteReturn as JSON, and it is the decision the gRPC
    call answers for the same return (another idempotency key: routed afresh, not replayed)."""
    curl = shutil.which("curl")
    assert curl is not None, "curl is needed by this test (the README's command)"
    body = json.loads(EXAMPLE.read_text())
    body["customer_return"]["idempotency_key"] = "http-curl-1"
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(body, f)
    try:
        out = subprocess.run(
            [
                curl,
                "-sS",
                "-X",
                "POST",
                "-H",
                "content-type: application/json",
                "-H",
                f"authorization: Bearer {server.key}",
                "-d",
                f"@{f.name}",
                f"{server.http}/reroute.v1.ReturnsRouting/RouteReturn",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    finally:
        os.unlink(f.name)
    over_http = json_format.Parse(out, routing_pb2.RouteReturnResponse()).decision
    with grpc.insecure_channel(server.grpc) as ch:
        stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
        over_grpc = stub.RouteReturn(
            _example("http-grpc-1"), metadata=(("authorization", f"Bearer {server.key}"),)
        ).decision
    assert over_http.chosen.label == over_grpc.chosen.label
    assert over_http.chosen.net_cost_minor == over_grpc.chosen.net_cost_minor
    assert [a.label for a in over_http.alternatives] == [a.label for a in over_grpc.alternatives]


def test_malformed_json_names_the_field(server: HttpServer) -> None:
    """A body that is not the message answers a Connect invalid_argument (HTTP 400) whose
    google.rpc.BadRequest names the field it could not read."""
    url = f"{server.http}/reroute.v1.ReturnsRouting/RouteReturn"
    headers = {"content-type": "application/json", "authorization": f"Bearer {server.key}"}
    status, answer = _post(url, b'{"customer_return": {"items": [{"weight_g": "heavy"}]}}', headers)
    assert status == 400
    assert answer["code"] == "invalid_argument"
    assert _violations(answer)[0][0] == "customer_return.items.weight_g"
    status, answer = _post(url, b'{"customer_return": {"colour": 1}}', headers)
    assert status == 400
    assert _violations(answer)[0][0] == "customer_return.colour"
    status, answer = _post(url, b"{not json", headers)
    assert status == 400
    assert _violations(answer)[0][0] == "request"
    status, answer = _post(url, b"{}", headers)  # readable, but not a return: the app's check
    fields = [f for f, _ in _violations(answer)]
    assert status == 400
    assert "customer_return.items" in fields


def test_authentication_is_the_grpc_edge(server: HttpServer) -> None:
    """No key or a bad key is unauthenticated (401), before the body is even looked at."""
    url = f"{server.http}/reroute.v1.ReturnsRouting/RouteReturn"
    for headers in (
        {"content-type": "application/json"},
        {"content-type": "application/json", "authorization": "Bearer nope"},
    ):
        status, answer = _post(url, b"{not json", headers)
        assert status == 401
        assert answer["code"] == "unauthenticated"


def test_binary_connect_and_grpc_web_clients(server: HttpServer) -> None:
    """connect-python's generated client, over Connect with binary protobuf and over gRPC-Web,
    gets decisions and typed errors with the BadRequest detail."""
    headers = {"authorization": f"Bearer {server.key}"}
    for protocol in (ProtocolType.CONNECT, ProtocolType.GRPC_WEB):
        with ReturnsRoutingClientSync(server.http, protocol=protocol) as client:
            answer = client.route_return(_example(f"http-{protocol.name}"), headers=headers)
            assert answer.decision.chosen.label
            quote = client.quote_customs(
                customs_pb2.QuoteCustomsRequest(
                    export_country="NO",
                    import_country="DE",
                    goods_origin_country="DE",
                    channel=customs_pb2.CHANNEL_COURIER,
                    reason=common_pb2.RETURN_REASON_WRONG_SIZE,
                    items=[
                        customs_pb2.QuoteItem(
                            hs_code="620193",
                            value=common_pb2.Money(amount_minor=12_000, currency="EUR"),
                            quantity=1,
                            weight_g=900,
                        )
                    ],
                ),
                headers=headers,
            )
            assert quote.assessment.import_country == "DE"
            with pytest.raises(ConnectError) as err:
                client.route_return(routing_pb2.RouteReturnRequest(), headers=headers)
            assert err.value.code is Code.INVALID_ARGUMENT
            bad = error_details_pb2.BadRequest()
            assert err.value.details[0].Unpack(bad)
            assert "customer_return.items" in [v.field for v in bad.field_violations]


def test_batch_planning_over_http(server: HttpServer) -> None:
    """SubmitPlan as a JSON POST answers the job; WatchPlan streams its progress over the
    Connect protocol until it ends; GetPlan answers the assignments; another tenant's job
    and an unknown one are the gRPC edge's errors."""
    example = json.loads(EXAMPLE.read_text())["customer_return"]
    returns = []
    for i in range(3):
        ret = json.loads(json.dumps(example))
        ret["idempotency_key"] = f"plan-{i}"
        returns.append({"return_id": f"R{i}", "customer_return": ret})
    body = json.dumps({"returns": returns, "options": {"time_limit_s": 20}}).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {server.key}"}
    status, job = _post(f"{server.http}/reroute.v1.BatchPlanning/SubmitPlan", body, headers)
    assert status == 200, job
    job_id = str(job["jobId"])
    auth = {"authorization": f"Bearer {server.key}"}
    with BatchPlanningClientSync(server.http, proto_json=True) as client:
        states = [
            p.state
            for p in client.watch_plan(planning_pb2.WatchPlanRequest(job_id=job_id), headers=auth)
        ]
        assert states[-1] == planning_pb2.PLAN_STATE_SUCCEEDED
        got = client.get_plan(
            planning_pb2.GetPlanRequest(job_id=job_id, page_size=10), headers=auth
        )
        assert sorted(a.return_id for a in got.assignments) == ["R0", "R1", "R2"]
        with pytest.raises(ConnectError) as err:
            client.get_plan(planning_pb2.GetPlanRequest(job_id="nope"), headers=auth)
        assert err.value.code in (Code.NOT_FOUND, Code.INVALID_ARGUMENT)


def test_http_calls_are_counted_with_grpc_ones(server: HttpServer) -> None:
    """The HTTP edge counts its calls in the same metrics, under the RPC's name."""
    with urllib.request.urlopen(f"{server.metrics}", timeout=10) as resp:
        text = resp.read().decode()
    assert re.search(
        r'reroute_rpc_requests_total\{code="UNAUTHENTICATED",method="RouteReturn"\}', text
    )
    assert re.search(
        r'reroute_rpc_requests_total\{code="INVALID_ARGUMENT",method="RouteReturn"\}', text
    )


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (
            "Failed to parse customerReturn field: Failed to parse weightG field: bad.",
            "customer_return.weight_g",
        ),
        (
            'Message type "reroute.v1.Return" has no field named "foo"'
            ' at "RouteReturnRequest.customer_return".\n x',
            "customer_return.foo",
        ),
        (
            "Invalid enum value BAD for enum type reroute.v1.ConditionGrade"
            " at RouteReturnRequest.customer_return.items[0].grade...",
            "customer_return.items[0].grade",
        ),
        ("Failed to load JSON: Expecting value: line 1 column 1 (char 0).", "request"),
    ],
)
def test_json_field(message: str, field: str) -> None:
    """The field path read from json_format's error messages, in proto field names."""
    assert json_field(message) == field


def test_https_with_the_grpc_ports_certificate(tmp_path: Path) -> None:
    """With --tls-cert/--tls-key the HTTP port speaks HTTPS with the same certificate: a
    client trusting the CA is answered, a plaintext request is not."""
    import asyncio
    import ssl

    from cryptography.hazmat.primitives.asymmetric import ec

    from hubs import default_network
    from routing.rpc.app import RoutingApp
    from routing.rpc.http import start_http
    from routing.rpc.server import ServerConfig
    from tests.routing.rpc.test_edge import InProcess, _cert, _pem

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("reroute test CA", ca_key, None, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("localhost", key, (ca.subject, ca_key), ca=False)
    for name, obj in (("ca", ca), ("cert", cert), ("key", key)):
        (tmp_path / f"{name}.pem").write_bytes(_pem(obj))
    config = ServerConfig(
        host="127.0.0.1",
        port=0,
        auth=False,
        tls_cert=tmp_path / "cert.pem",
        tls_key=tmp_path / "key.pem",
    )
    s = InProcess(config, RoutingApp(default_network()))
    assert s.running.edge is not None
    http = asyncio.run_coroutine_threadsafe(
        start_http(
            s.running.edge,
            *s.running.servicers,
            host="127.0.0.1",
            port=0,
            certfile=str(tmp_path / "cert.pem"),
            keyfile=str(tmp_path / "key.pem"),
        ),
        s.loop,
    ).result(30)
    try:
        url = f"https://localhost:{http.port}/reroute.v1.ReturnsRouting/ListDecisions"
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        req = urllib.request.Request(
            url, data=b"{}", headers={"content-type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=30, context=context) as resp:
            assert resp.status == 200
            assert isinstance(json.loads(resp.read()), dict)
        plain = url.replace("https://", "http://")
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            urllib.request.urlopen(
                urllib.request.Request(plain, data=b"{}", method="POST"), timeout=10
            )
    finally:
        asyncio.run_coroutine_threadsafe(http.stop(), s.loop).result(30)
        s.close()
