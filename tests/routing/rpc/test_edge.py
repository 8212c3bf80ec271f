"""The service edge on a real port: API keys and tenants, per-tenant rate limits, stream
limits, request ids, GetDecision/ListDecisions, metrics, TLS and mTLS.

One in-process server (its own event loop thread) with authentication on a fresh SQLite
database; a second one with mTLS, on certificates made by a CA generated in the test."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from hubs import default_network
from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.rpc.app import RoutingApp
from routing.rpc.server import Running, ServerConfig, create_server
from routing.rpc.wire.returns import request_to_proto
from routing.store.database import make_engine, upgrade
from routing.store.sql import SqlDecisionStore
from routing.store.tenants import create_key, register_network, revoke_key, set_rate_limit

TODAY = date(2026, 11, 2)
ROOT = Path(__file__).resolve().parents[3]


class InProcess:
    """A server from ``create_server`` on its own event loop thread."""

    def __init__(self, config: ServerConfig, app: RoutingApp) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.running: Running = asyncio.run_coroutine_threadsafe(
            self._start(config, app), self.loop
        ).result(60)
        self.target = f"127.0.0.1:{self.running.port}"

    @staticmethod
    async def _start(config: ServerConfig, app: RoutingApp) -> Running:
        running = await create_server(config, app)
        await running.server.start()
        return running

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.running.server.stop(0), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REROUTE_DATA_DIR", str(folder))
        mp.delenv("REROUTE_DATABASE_URL", raising=False)
        yield folder


@pytest.fixture(scope="module")
def db_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'edge.db'}"


@pytest.fixture(scope="module")
def app(db_url: str) -> RoutingApp:
    engine = make_engine(db_url)
    upgrade(engine)
    net = default_network()
    store = SqlDecisionStore(engine, register_network(engine, net.name, "# default"))
    return RoutingApp(net, store=store)


@pytest.fixture(scope="module")
def server(app: RoutingApp, db_url: str, data_dir: Path) -> Iterator[InProcess]:
    config = ServerConfig(
        host="127.0.0.1",
        port=0,
        database_url=db_url,
        auth_cache_s=0,
        max_stream_requests=5,
    )
    s = InProcess(config, app)
    yield s
    s.close()


@pytest.fixture(scope="module")
def keys(server: InProcess, db_url: str) -> dict[str, str]:
    engine = make_engine(db_url)
    out = {t: create_key(engine, t)[1] for t in ("acme", "globex", "slow")}
    set_rate_limit(engine, "slow", 1.0, 2)
    return out


def md(key: str, **extra: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"), *extra.items())


def request(**changes: object) -> routing_pb2.RouteReturnRequest:
    ret = sample_return(TODAY)
    return request_to_proto(replace(ret, **changes) if changes else ret)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def stub(server: InProcess) -> Iterator[routing_pb2_grpc.ReturnsRoutingStub]:
    with grpc.insecure_channel(server.target) as ch:
        yield routing_pb2_grpc.ReturnsRoutingStub(ch)


def test_first_start_writes_the_default_key(server: InProcess, data_dir: Path) -> None:
    """On an empty database the server creates tenant 'default' and writes its key, mode
    0600, to the data dir; that key works."""
    path = data_dir / "default.key"
    assert server.running.key_file == path
    assert path.stat().st_mode & 0o777 == 0o600
    with grpc.insecure_channel(server.target) as ch:
        got = routing_pb2_grpc.ReturnsRoutingStub(ch).RouteReturn(
            request(), metadata=md(path.read_text().strip()), timeout=30
        )
    assert got.decision.decision_id


def test_no_key_or_a_bad_key_is_unauthenticated(
    stub: routing_pb2_grpc.ReturnsRoutingStub, keys: dict[str, str], db_url: str
) -> None:
    """Without a key, with a malformed or unknown key, and with a revoked key: UNAUTHENTICATED;
    `x-api-key` works like `authorization: Bearer`."""
    bad = [(), (("authorization", "Bearer nope"),), (("x-api-key", keys["acme"] + "x"),)]
    for metadata in bad:
        with pytest.raises(grpc.RpcError) as info:
            stub.RouteReturn(request(), metadata=metadata, timeout=30)
        assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED
    engine = make_engine(db_url)
    key_id, key = create_key(engine, "acme", label="to revoke")
    assert stub.RouteReturn(request(), metadata=(("x-api-key", key),), timeout=30).decision
    revoke_key(engine, key_id)
    with pytest.raises(grpc.RpcError) as info:
        stub.RouteReturn(request(), metadata=(("x-api-key", key),), timeout=30)
    assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_health_needs_no_key(server: InProcess) -> None:
    """Health stays open."""
    with grpc.insecure_channel(server.target) as ch:
        got = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert got.status == health_pb2.HealthCheckResponse.SERVING


def test_decisions_are_per_tenant(
    stub: routing_pb2_grpc.ReturnsRoutingStub, keys: dict[str, str]
) -> None:
    """A tenant gets and lists its own decisions (newest first, paged); another tenant's is
    PERMISSION_DENIED; an unknown id NOT_FOUND; the same idempotency key in two tenants makes
    two decisions."""
    ids = [
        stub.RouteReturn(
            request(idempotency_key=f"k{i}"), metadata=md(keys["acme"]), timeout=30
        ).decision.decision_id
        for i in range(3)
    ]
    other = stub.RouteReturn(request(idempotency_key="k0"), metadata=md(keys["globex"]), timeout=30)
    assert other.decision.decision_id != ids[0]
    got = stub.GetDecision(
        routing_pb2.GetDecisionRequest(decision_id=ids[1]), metadata=md(keys["acme"]), timeout=10
    )
    assert got.decision.decision_id == ids[1]
    assert got.create_time.seconds > 0
    with pytest.raises(grpc.RpcError) as info:
        stub.GetDecision(
            routing_pb2.GetDecisionRequest(decision_id=ids[1]),
            metadata=md(keys["globex"]),
            timeout=10,
        )
    assert info.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as info:
        stub.GetDecision(
            routing_pb2.GetDecisionRequest(decision_id="0" * 32),
            metadata=md(keys["acme"]),
            timeout=10,
        )
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    listed: list[str] = []
    token = ""
    while True:
        page = stub.ListDecisions(
            routing_pb2.ListDecisionsRequest(page_size=2, page_token=token),
            metadata=md(keys["acme"]),
            timeout=10,
        )
        listed.extend(d.decision.decision_id for d in page.decisions)
        token = page.next_page_token
        if not token:
            break
    assert listed[:3] == ids[::-1]
    assert other.decision.decision_id not in listed
    with pytest.raises(grpc.RpcError) as info:
        stub.ListDecisions(
            routing_pb2.ListDecisionsRequest(page_token="???"),
            metadata=md(keys["acme"]),
            timeout=10,
        )
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_rate_limit_answers_resource_exhausted_with_retry_info(
    stub: routing_pb2_grpc.ReturnsRoutingStub, keys: dict[str, str]
) -> None:
    """Tenant 'slow' (1/s, burst 2): a quick third call is RESOURCE_EXHAUSTED carrying
    google.rpc.RetryInfo with a positive delay; other tenants are not affected."""
    codes = []
    for _ in range(4):
        try:
            stub.ListDecisions(
                routing_pb2.ListDecisionsRequest(), metadata=md(keys["slow"]), timeout=10
            )
            codes.append(grpc.StatusCode.OK)
        except grpc.RpcError as err:
            codes.append(err.code())
            status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes
    assert status is not None
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in status.details)
    assert retry.retry_delay.ToNanoseconds() > 0
    stub.ListDecisions(routing_pb2.ListDecisionsRequest(), metadata=md(keys["acme"]), timeout=10)


def test_stream_is_capped_per_call(
    stub: routing_pb2_grpc.ReturnsRoutingStub, keys: dict[str, str]
) -> None:
    """A RouteReturns call answers at most max_stream_requests (5 here), then ends
    RESOURCE_EXHAUSTED."""
    reqs = [request() for _ in range(7)]
    for i, r in enumerate(reqs):
        r.correlation_id = str(i)
    answers = []
    code = grpc.StatusCode.OK
    try:
        for a in stub.RouteReturns(iter(reqs), metadata=md(keys["acme"]), timeout=60):
            answers.append(a)
    except grpc.RpcError as err:
        code = err.code()
    assert code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert [a.correlation_id for a in answers] == ["0", "1", "2", "3", "4"]


def test_request_id_is_echoed(
    stub: routing_pb2_grpc.ReturnsRoutingStub, keys: dict[str, str]
) -> None:
    """The caller's x-request-id comes back in the trailing metadata, on success and on
    error; without one the server makes one."""
    _, call = stub.RouteReturn.with_call(
        request(), metadata=md(keys["acme"], **{"x-request-id": "req-42"}), timeout=30
    )
    assert dict(call.trailing_metadata())["x-request-id"] == "req-42"
    with pytest.raises(grpc.RpcError) as info:
        stub.RouteReturn(
            request(origin_facility_id="nowhere"),
            metadata=md(keys["acme"], **{"x-request-id": "req-43"}),
            timeout=30,
        )
    assert isinstance(info.value, grpc.Call)  # a unary call's error is its Call too
    assert dict(info.value.trailing_metadata())["x-request-id"] == "req-43"
    _, call = stub.RouteReturn.with_call(request(), metadata=md(keys["acme"]), timeout=30)
    assert len(dict(call.trailing_metadata())["x-request-id"]) == 32


def test_metrics_endpoint(
    server: InProcess, stub: routing_pb2_grpc.ReturnsRoutingStub, keys: dict[str, str]
) -> None:
    """/metrics counts requests per method and status, has latency histograms and today's
    capacity utilization per facility."""
    stub.RouteReturn(request(), metadata=md(keys["acme"]), timeout=30)
    assert server.running.metrics is not None
    port = server.running.metrics.serve_http(0, "127.0.0.1")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    assert 'reroute_rpc_requests_total{code="OK",method="RouteReturn"}' in text
    assert 'reroute_rpc_requests_total{code="UNAUTHENTICATED",method="RouteReturn"}' in text
    assert "reroute_rpc_latency_seconds_bucket" in text
    assert 'reroute_capacity_utilization_ratio{facility="' in text


# -- TLS ---------------------------------------------------------------------------------


def _cert(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0] if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _pem(obj: x509.Certificate | ec.EllipticCurvePrivateKey) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_mtls(app: RoutingApp, tmp_path: Path) -> None:
    """With --tls-cert/--tls-key/--tls-client-ca the server speaks TLS and requires a client
    certificate from that CA: a client with one is served, one without is refused."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("reroute test CA", ca_key, None, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _cert("localhost", server_key, (ca.subject, ca_key), ca=False)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = _cert("client", client_key, (ca.subject, ca_key), ca=False)
    files = {}
    for name, pem in [("ca", _pem(ca)), ("cert", _pem(server_cert)), ("key", _pem(server_key))]:
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(pem)
    config = ServerConfig(
        host="127.0.0.1",
        port=0,
        auth=False,
        tls_cert=files["cert"],
        tls_key=files["key"],
        tls_client_ca=files["ca"],
    )
    s = InProcess(config, app)
    try:
        good = grpc.ssl_channel_credentials(_pem(ca), _pem(client_key), _pem(client_cert))
        options = [("grpc.ssl_target_name_override", "localhost")]
        with grpc.secure_channel(s.target, good, options) as ch:
            got = routing_pb2_grpc.ReturnsRoutingStub(ch).RouteReturn(request(), timeout=30)
            assert got.decision.decision_id
        anonymous = grpc.ssl_channel_credentials(_pem(ca))
        with grpc.secure_channel(s.target, anonymous, options) as ch:
            with pytest.raises(grpc.RpcError) as info:
                routing_pb2_grpc.ReturnsRoutingStub(ch).RouteReturn(request(), timeout=10)
            assert info.value.code() is grpc.StatusCode.UNAVAILABLE
        with grpc.insecure_channel(s.target) as ch, pytest.raises(grpc.RpcError):
            routing_pb2_grpc.ReturnsRoutingStub(ch).RouteReturn(request(), timeout=10)
    finally:
        s.close()


# -- the CLI -------------------------------------------------------------------------------


def test_keys_cli(tmp_path: Path) -> None:
    """`reroute keys create` prints a key once; `list` shows its id and tenant, never the key;
    `revoke` marks it; a bad tenant name or unknown id exits 2 naming it."""
    env = {**os.environ, "REROUTE_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "routing.cli.main", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )

    made = run("keys", "create", "--tenant", "acme")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    key_id = key.split(".")[0]
    listed = run("keys", "list")
    assert key_id in listed.stdout
    assert "acme" in listed.stdout
    assert key not in listed.stdout
    assert run("keys", "revoke", key_id).returncode == 0
    assert "revoked" in run("keys", "list").stdout
    bad = run("keys", "create", "--tenant", "Bad Name")
    assert bad.returncode == 2
    assert "tenant" in bad.stderr
    missing = run("keys", "revoke", "rr_000000000000")
    assert missing.returncode == 2
    assert "rr_000000000000" in missing.stderr
    assert run("db", "upgrade").returncode == 0
