"""The ``reroute`` command: serve, route (a client), network check.

Exit codes: 0 ok; 1 the server could not be reached or failed; 2 bad input (the message names
the field); 3 valid input but no feasible option (the message says why).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import TypeVar

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from customs.api import (
    Channel,
    CustomsAssessor,
    CustomsItem,
    ImportRecord,
    ReturnReason,
)
from customs.fx import format_minor, to_minor
from hubs.model import ConditionGrade, Network
from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.cli import client
from routing.cli.admin import add_admin_commands
from routing.cli.report import format_assessment, format_decision
from routing.decide.domain import (
    Constraints,
    Item,
    Return,
    Violations,
    check_country,
    check_currency,
    check_hs_code,
    checked,
    validate_item,
    validate_return,
)
from routing.decide.quote import QuoteInput, quote
from routing.errors import InvalidInput, RerouteError, SolverNotInstalled
from routing.rpc.wire.customs import assessment_to_proto
from routing.rpc.wire.decisions import decision_from_proto
from routing.rpc.wire.returns import request_to_proto

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INFEASIBLE = 0, 1, 2, 3
E = TypeVar("E", bound=Enum)
DEFAULT_TARGET = "localhost:50051"


class UsageError(RerouteError):
    """A bad flag or file: the message names it."""


# -- reroute route ------------------------------------------------------------------------


def _decimal_minor(flag: str, text: str, currency: str) -> int:
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise UsageError(f"{flag}: not a number: {text!r}") from exc
    if not amount.is_finite():
        raise UsageError(f"{flag}: must be a finite number, got {text!r}")
    try:
        return to_minor(amount, currency)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from exc


def _date(flag: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: not an ISO date (YYYY-MM-DD): {text!r}") from exc


def _dims(text: str) -> tuple[int, int, int]:
    parts = text.lower().split("x")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError as exc:
        raise UsageError(f"--dims-mm: expected LxWxH in whole millimetres, got {text!r}") from exc
    if len(values) != 3:
        raise UsageError(f"--dims-mm: expected LxWxH in whole millimetres, got {text!r}")
    return values[0], values[1], values[2]


def _return_from_flags(a: argparse.Namespace, today: date) -> Return:
    missing = [
        f
        for f in ("country", "origin", "hs", "value", "currency", "weight_g")
        if getattr(a, f) is None
    ]
    if missing:
        raise UsageError("missing flags: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    try:
        grade = ConditionGrade(a.grade.upper())
    except ValueError as exc:
        raise UsageError(f"--grade: one of {', '.join(g.value for g in ConditionGrade)}") from exc
    try:
        reason = ReturnReason(a.reason.lower())
    except ValueError as exc:
        raise UsageError(f"--reason: one of {', '.join(r.value for r in ReturnReason)}") from exc
    paid_currency = a.paid_currency or a.currency
    return_date = _date("--return-date", a.return_date) if a.return_date else today
    item = checked(
        validate_item,
        "item",
        Item(
            sku=a.sku,
            hs_code=a.hs,
            value_minor=_decimal_minor("--value", a.value, a.currency),
            currency=a.currency,
            weight_g=a.weight_g,
            dims_mm=_dims(a.dims_mm),
            quantity=a.quantity,
            grade=grade,
            reason=reason,
        ),
    )
    ret = Return(
        items=(item,),
        customer_country=a.country,
        customer_postal_code=a.postal_code,
        customer_territory=a.territory or "",
        origin_facility_id=a.origin,
        import_date=_date("--import-date", a.import_date) if a.import_date else return_date,
        duty_paid_minor=_decimal_minor("--duty-paid", a.duty_paid, paid_currency),
        vat_paid_minor=_decimal_minor("--vat-paid", a.vat_paid, paid_currency),
        paid_currency=paid_currency,
        vat_collected_at_checkout=a.vat_at_checkout,
        return_date=return_date,
        idempotency_key=a.idempotency_key or "",
        constraints=Constraints(
            max_days_to_refund=a.max_days_to_refund,
            allow_returnless=not a.no_returnless,
            allow_split=not a.no_split,
            max_alternatives=a.alternatives,
        ),
    )
    return checked(validate_return, "return", ret)


def _request(a: argparse.Namespace) -> routing_pb2.RouteReturnRequest:
    if a.file is not None:
        try:
            text = Path(a.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--file: cannot read {a.file}: {exc.strerror}") from exc
        request = routing_pb2.RouteReturnRequest()
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise UsageError(f"--file {a.file}: expected a JSON object")
            if "customer_return" not in data and "customerReturn" not in data:
                data = {"customer_return": data}  # a bare Return is fine too
            json_format.ParseDict(data, request)
        except (json.JSONDecodeError, json_format.ParseError) as exc:
            raise UsageError(f"--file {a.file}: {exc}") from exc
        return request
    today = datetime.now(UTC).date()
    try:
        return request_to_proto(_return_from_flags(a, today))
    except InvalidInput as exc:
        raise UsageError(str(exc).replace("return.", "")) from exc


def _print_status_error(err: grpc.aio.AioRpcError | grpc.RpcError, as_json: bool) -> int:
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    status = rpc_status.from_call(err) if hasattr(err, "trailing_metadata") else None  # type: ignore[arg-type]
    details: list[str] = []
    if status is not None:
        details = _describe_details(status)
    if as_json:
        print(
            json.dumps(
                {"error": {"code": code.name, "message": err.details(), "details": details}},
                indent=2,
            )
        )
    else:
        print(f"error: {code.name}: {err.details()}", file=sys.stderr)
        for line in details:
            print(f"  - {line}", file=sys.stderr)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return EXIT_USAGE
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return EXIT_INFEASIBLE
    return EXIT_FAIL


def _describe_details(status: status_pb2.Status) -> list[str]:
    out: list[str] = []
    for any_msg in status.details:
        bad = error_details_pb2.BadRequest()
        pre = error_details_pb2.PreconditionFailure()
        if any_msg.Unpack(bad):
            out.extend(f"{v.field}: {v.description}" for v in bad.field_violations)
        elif any_msg.Unpack(pre):
            out.extend(f"{v.type} {v.subject}: {v.description}" for v in pre.violations)
    return out


async def _call(
    a: argparse.Namespace, request: routing_pb2.RouteReturnRequest
) -> routing_pb2.RouteReturnResponse:
    async with client.open_channel(a.server, a) as channel:
        stub = routing_pb2_grpc.ReturnsRoutingStub(channel)
        response: routing_pb2.RouteReturnResponse = await stub.RouteReturn(
            request, timeout=a.timeout, metadata=client.metadata(client.api_key(a.api_key))
        )
        return response


def cmd_route(a: argparse.Namespace) -> int:
    request = _request(a)
    try:
        response = asyncio.run(_call(a, request))
    except grpc.aio.AioRpcError as err:
        if err.code() is grpc.StatusCode.UNAVAILABLE:
            print(
                f"error: cannot reach a reroute server at {a.server}"
                " (start one with `reroute serve`)",
                file=sys.stderr,
            )
            return EXIT_FAIL
        if err.code() is grpc.StatusCode.UNAUTHENTICATED:
            print(
                "hint: give --api-key or REROUTE_API_KEY (`reroute keys create --tenant T`)",
                file=sys.stderr,
            )
        return _print_status_error(err, a.json)
    if a.json:
        print(
            json_format.MessageToJson(
                response.decision,
                preserving_proto_field_name=True,
                always_print_fields_with_no_presence=True,
            )
        )
    else:
        print(format_decision(decision_from_proto(response.decision)))
    return EXIT_OK


# -- reroute customs -----------------------------------------------------------------------


def _enum_flag(flag: str, enum_type: type[E], text: str) -> E:
    try:
        return enum_type(text.lower())
    except ValueError as exc:
        allowed = ", ".join(str(m.value) for m in enum_type)
        raise UsageError(f"{flag}: one of {allowed}; got {text!r}") from exc


def _quote_input(a: argparse.Namespace, customs: CustomsAssessor) -> tuple[QuoteInput, str]:
    """The quote the flags describe, and a note when the original import was estimated."""
    on = _date("--date", a.date) if a.date else datetime.now(UTC).date()
    channel = _enum_flag("--channel", Channel, a.channel)
    reason = _enum_flag("--reason", ReturnReason, a.reason)
    v = Violations()
    check_country(v, "FROM", a.from_country)
    check_country(v, "TO", a.to_country)
    check_currency(v, "--currency", a.currency)
    check_currency(v, "--in", a.answer_currency)
    check_hs_code(v, "--hs", a.hs)
    if v.items:
        raise UsageError("; ".join(f"{x.field}: {x.description}" for x in v.items))
    item = CustomsItem(
        hs_code=a.hs,
        value_minor=_decimal_minor("--value", a.value, a.currency),
        currency=a.currency,
        quantity=a.quantity,
        weight_g=a.weight_g,
        unaltered=not a.altered,
    )
    if item.value_minor <= 0:
        raise UsageError("--value: must be > 0")
    if not 1 <= item.quantity <= 10_000:
        raise UsageError("--quantity: must be 1..10000")
    if item.weight_g <= 0:
        raise UsageError("--weight-g: must be > 0")
    goods_origin = a.goods_origin or a.to_country
    import_date = (
        _date("--import-date", a.import_date) if a.import_date else on - timedelta(days=14)
    )
    paid_currency = a.paid_currency or a.currency
    note = ""
    original: ImportRecord | None = None
    if a.duty_paid is not None or a.vat_paid is not None:
        original = ImportRecord(
            country=a.from_country,
            import_date=import_date,
            duty_paid_minor=_decimal_minor("--duty-paid", a.duty_paid or "0", paid_currency),
            vat_paid_minor=_decimal_minor("--vat-paid", a.vat_paid or "0", paid_currency),
            currency=paid_currency,
            vat_collected_at_checkout=a.vat_at_checkout,
        )
    elif goods_origin != a.from_country:
        # estimate what the outbound import cost: the same goods, goods_origin -> FROM
        try:
            outbound = quote(
                customs,
                QuoteInput(
                    goods_origin,
                    a.from_country,
                    goods_origin,
                    channel,
                    ReturnReason.CHANGED_MIND,
                    (item,),
                    import_date,
                    a.currency,
                ),
            )
        except InvalidInput as exc:
            reasons = "; ".join(v.description for v in exc.violations)
            raise UsageError(f"--import-date {import_date.isoformat()}: {reasons}") from exc
        if outbound.duty_due_minor + outbound.vat_due_minor > 0:
            original = ImportRecord(
                country=a.from_country,
                import_date=import_date,
                duty_paid_minor=outbound.duty_due_minor,
                vat_paid_minor=outbound.vat_due_minor,
                currency=a.currency,
                vat_collected_at_checkout=a.vat_at_checkout,
            )
            note = (
                f"original import into {a.from_country} on {import_date.isoformat()} estimated"
                f" by assessing {goods_origin} -> {a.from_country}: duty"
                f" {format_minor(outbound.duty_due_minor, a.currency)}, VAT"
                f" {format_minor(outbound.vat_due_minor, a.currency)} (give --duty-paid and"
                " --vat-paid for the real amounts)"
            )
    q = QuoteInput(
        export_country=a.from_country,
        import_country=a.to_country,
        goods_origin_country=goods_origin,
        channel=channel,
        reason=reason,
        items=(item,),
        on=on,
        currency=a.answer_currency,
        export_territory=a.from_territory or "",
        import_territory=a.to_territory or "",
        bonded_destination=a.bonded,
        original_import=original,
        export_date=_date("--export-date", a.export_date) if a.export_date else None,
    )
    return q, note


def cmd_customs(a: argparse.Namespace) -> int:
    import customs

    engine = customs.default_engine()
    q, note = _quote_input(a, engine)
    assessment = quote(engine, q)
    if a.json:
        print(
            json_format.MessageToJson(
                assessment_to_proto(assessment),
                preserving_proto_field_name=True,
                always_print_fields_with_no_presence=True,
            )
        )
        if note:
            print(f"note: {note}", file=sys.stderr)
    else:
        print(format_assessment(assessment))
        if note:
            print(f"note: {note}")
    return EXIT_OK


# -- reroute plan / generate-returns ------------------------------------------------------


def _network(path: str | None) -> Network:
    from hubs import default_network, load_network

    return load_network(path) if path else default_network()


def cmd_plan(a: argparse.Namespace) -> int:
    from customs.fx import to_minor
    from routing.batches.io import BatchError, read_batch
    from routing.cli.plan_output import ProgressPrinter, format_summary, write_plan
    from routing.plan.executor import ExecutorError, make_executor
    from routing.plan.planner import PlanConfig, plan_batch
    from routing.rpc.app import RoutingApp
    from routing.solver import Backend, require_backend, solve

    network = _network(a.network)
    origins = frozenset(f.id for f in network.facilities.values() if f.kind.value == "origin")
    try:
        batch = read_batch(Path(a.returns), skip_invalid=a.skip_invalid, known_origins=origins)
    except BatchError as exc:
        print(f"error: {a.returns}: invalid rows (nothing planned):", file=sys.stderr)
        for e in exc.errors:
            print(f"  row {e.row} ({e.return_id or '-'}): {e.field}: {e.reason}", file=sys.stderr)
        return EXIT_USAGE
    for e in batch.skipped:
        print(f"skipped row {e.row} ({e.return_id or '-'}): {e.field}: {e.reason}", file=sys.stderr)
    try:
        backend = Backend[a.backend.upper()]
    except KeyError as exc:
        raise UsageError(f"--backend: one of {', '.join(b.name.lower() for b in Backend)}") from exc
    try:
        require_backend(backend)  # before any routing: CBC is an optional extra
    except SolverNotInstalled as exc:
        raise UsageError(f"--backend {a.backend}: {exc}") from exc
    config = PlanConfig(
        horizon_days=a.horizon_days,
        time_limit_s=a.time_limit,
        allow_overflow=a.allow_overflow,
        overflow_price_minor=to_minor(a.overflow_price, network.currency),
    )
    router = RoutingApp(network).router
    if a.workers is not None and a.workers < 1:
        raise UsageError(f"--workers: must be >= 1, got {a.workers}")
    try:
        executor = make_executor(a.workers, a.ray_address)
    except ExecutorError as exc:
        raise UsageError(f"--ray-address: {exc}") from exc
    printer = ProgressPrinter(currency=network.currency)

    if not 0 <= a.gap_limit < 1:  # also refuses NaN
        raise UsageError(f"--gap-limit: must be in [0, 1), got {a.gap_limit}")
    run = functools.partial(solve, backend=backend, gap_limit=a.gap_limit)
    try:
        with executor:
            plan = plan_batch(
                router,
                batch.returns,
                config,
                solve=run,
                on_progress=printer,
                executor=executor,
                workers=a.workers,
            )
    finally:
        printer.done()
    plan_path, csv_path = write_plan(plan, Path(a.out))
    print(format_summary(plan))
    print(f"wrote {plan_path} and {csv_path}")
    return EXIT_OK


def cmd_generate(a: argparse.Namespace) -> int:
    from routing.batches.generate import generate_returns
    from routing.batches.io import write_batch

    if a.n < 1:
        raise UsageError(f"N: must be >= 1, got {a.n}")
    start = _date("--start", a.start) if a.start else datetime.now(UTC).date()
    network = _network(a.network)
    out = Path(a.out)
    if out.suffix not in (".csv", ".parquet"):
        raise UsageError(f"--out: must end in .csv or .parquet, got {out.name!r}")
    count = write_batch(out, generate_returns(a.n, seed=a.seed, network=network, start=start))
    print(f"wrote {count if count is not None else a.n} returns to {out}")
    return EXIT_OK


# -- reroute serve / network check ---------------------------------------------------------


def cmd_serve(a: argparse.Namespace) -> int:
    from routing.observe import configure_logging
    from routing.rpc.server import ServerConfig, ServerConfigError, serve

    if not a.rate_limit >= 0:  # also refuses NaN
        raise UsageError(f"--rate-limit: must be >= 0 (0 = off), got {a.rate_limit}")
    if a.burst < 1:
        raise UsageError(f"--burst: must be >= 1, got {a.burst}")
    if a.max_message_bytes < 1024:
        raise UsageError(f"--max-message-bytes: must be >= 1024, got {a.max_message_bytes}")
    if a.metrics_port is not None and not 0 <= a.metrics_port <= 65535:
        raise UsageError(f"--metrics-port: must be 0..65535, got {a.metrics_port}")
    configure_logging(a.log_format)
    config = ServerConfig(
        host=a.host,
        port=a.port,
        network_file=Path(a.network) if a.network else None,
        bench_echo=a.bench_echo,
        database_url=a.database_url,
        tls_cert=Path(a.tls_cert) if a.tls_cert else None,
        tls_key=Path(a.tls_key) if a.tls_key else None,
        tls_client_ca=Path(a.tls_client_ca) if a.tls_client_ca else None,
        metrics_port=a.metrics_port,
        max_message_bytes=a.max_message_bytes,
        rate_per_s=a.rate_limit or None,
        burst=a.burst,
        auth=a.auth == "key",
    )
    try:
        asyncio.run(serve(config))
    except ServerConfigError as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK


def cmd_network_check(a: argparse.Namespace) -> int:
    from hubs import check_network

    for line in check_network(a.file):
        print(line)
    return EXIT_OK


def cmd_whatif(a: argparse.Namespace) -> int:
    """Run a what-if scenario (docs/scenario_format.md) and write its report."""
    from routing.plan.executor import ExecutorError
    from routing.plan.planner import MAX_TIME_LIMIT_S
    from routing.whatif.report import write_report
    from routing.whatif.runner import ProgressBar, run_scenario
    from routing.whatif.scenario import ScenarioError, load_scenario

    if a.workers is not None and a.workers < 1:
        raise UsageError(f"--workers: must be >= 1, got {a.workers}")
    if a.time_limit is not None and not 0 < a.time_limit <= MAX_TIME_LIMIT_S:
        raise UsageError(
            f"--time-limit: must be > 0 and <= {MAX_TIME_LIMIT_S:g}, got {a.time_limit}"
        )
    try:
        total = len(load_scenario(a.scenario).names)
        bar = ProgressBar(total)
        bar.start()
        try:
            result = run_scenario(
                a.scenario,
                workers=a.workers,
                ray_address=a.ray_address,
                time_limit_s=a.time_limit,
                on_progress=bar.update,
            )
        finally:
            bar.finish()
    except ScenarioError as exc:
        for line in exc.lines():
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except ExecutorError as exc:
        raise UsageError(f"--ray-address/--workers: {exc}") from exc
    paths = write_report(result, Path(a.out))
    for v in result.variants:
        best = min(
            (p for p in v.policies if p.policy != "optimized"), key=lambda p: p.total_cost_minor
        )
        opt = v.policy("optimized")
        print(
            f"{v.name}: optimized {format_minor(opt.total_cost_minor, v.currency)}"
            f" ({opt.solver}); best rule {best.policy}"
            f" {format_minor(best.total_cost_minor, v.currency)}"
        )
    print(f"wrote {', '.join(str(p) for p in paths[:2])} and {len(paths) - 2} CSV files")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="reroute", description="Route cross-border e-commerce returns."
    )
    sub = ap.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "serve", help="run the gRPC server (embedded default network unless --network)"
    )
    s.add_argument("--network", metavar="FILE", help="network TOML file (see hubs/FORMAT.md)")
    s.add_argument("--port", type=int, default=50051, help="0 = any free port (default 50051)")
    s.add_argument("--host", default="0.0.0.0")
    s.add_argument("--bench-echo", action="store_true", help=argparse.SUPPRESS)
    s.add_argument(
        "--database-url",
        help="SQLAlchemy URL, sqlite:///FILE or postgresql+psycopg://... (default:"
        " $REROUTE_DATABASE_URL, else sqlite:///<data dir>/reroute.db)",
    )
    s.add_argument("--tls-cert", metavar="PEM", help="serve TLS with this certificate")
    s.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")
    s.add_argument("--tls-client-ca", metavar="PEM", help="require client certs from this CA")
    s.add_argument("--metrics-port", type=int, help="Prometheus /metrics port (default: off)")
    s.add_argument("--max-message-bytes", type=int, default=4 * 1024 * 1024)
    s.add_argument(
        "--rate-limit", type=float, default=200.0, help="per tenant per second (0 = off)"
    )
    s.add_argument("--burst", type=int, default=400, help="rate-limit burst per tenant")
    s.add_argument("--log-format", choices=("json", "text"), default="json")
    s.add_argument(
        "--auth",
        choices=("key", "none"),
        default="key",
        help="key (default): calls need an API key; none: no keys, every caller is tenant"
        " 'default' (local development and tests only)",
    )
    s.set_defaults(func=cmd_serve)

    r = sub.add_parser("route", help="ask a server where one return should go")
    r.add_argument("--server", default=DEFAULT_TARGET, help=f"host:port (default {DEFAULT_TARGET})")
    r.add_argument(
        "--file", metavar="JSON", help="a RouteReturnRequest or Return as JSON (proto JSON mapping)"
    )
    r.add_argument("--json", action="store_true", help="print the decision as JSON")
    r.add_argument("--timeout", type=float, default=10.0, help="call deadline in seconds")
    r.add_argument("--country", help="customer country, ISO 3166-1 alpha-2")
    r.add_argument("--postal-code", default="00000")
    r.add_argument("--territory", help="ISO 3166-2 code where customs cares, e.g. ES-CN")
    r.add_argument("--origin", help="origin facility id, e.g. origin_de_hh")
    r.add_argument("--sku", default="SKU-1")
    r.add_argument("--hs", help="HS code, 6-10 digits")
    r.add_argument("--value", help="unit value in major units, e.g. 49.99")
    r.add_argument("--currency", help="ISO 4217 currency of --value")
    r.add_argument("--weight-g", type=int, help="unit weight in grams")
    r.add_argument("--dims-mm", default="300x200x100", help="LxWxH in mm (default 300x200x100)")
    r.add_argument("--quantity", type=int, default=1)
    r.add_argument("--grade", default="A", help="condition grade A-D")
    r.add_argument("--reason", default="changed_mind")
    r.add_argument(
        "--import-date", help="when the goods entered the customer's country (default: return date)"
    )
    r.add_argument("--duty-paid", default="0", help="duty paid at that import, major units")
    r.add_argument("--vat-paid", default="0", help="VAT paid at that import, major units")
    r.add_argument(
        "--paid-currency", help="currency of --duty-paid/--vat-paid (default --currency)"
    )
    r.add_argument(
        "--vat-at-checkout", action="store_true", help="VAT was collected at checkout (IOSS...)"
    )
    r.add_argument("--return-date", help="routing date (default today)")
    r.add_argument("--max-days-to-refund", type=int)
    r.add_argument("--no-returnless", action="store_true")
    r.add_argument("--no-split", action="store_true")
    r.add_argument("--alternatives", type=int, default=5)
    r.add_argument("--idempotency-key")
    client.add_client_flags(r)
    r.set_defaults(func=cmd_route)

    q = sub.add_parser("customs", help="assess one border crossing (no server needed)")
    q.add_argument("from_country", metavar="FROM", help="export country (where the goods are)")
    q.add_argument("to_country", metavar="TO", help="import country")
    q.add_argument("--value", required=True, help="unit value in major units, e.g. 120.00")
    q.add_argument("--currency", required=True, help="ISO 4217 currency of --value")
    q.add_argument("--hs", required=True, help="HS code, 6-10 digits")
    q.add_argument("--date", help="day of the crossing (default today)")
    q.add_argument("--quantity", type=int, default=1)
    q.add_argument("--weight-g", type=int, default=500)
    q.add_argument("--channel", default="courier", help="postal, courier or freight")
    q.add_argument("--reason", default="changed_mind")
    q.add_argument("--goods-origin", help="where the merchant first exported them (default TO)")
    q.add_argument("--from-territory", help="ISO 3166-2 style territory, e.g. ES-CN")
    q.add_argument("--to-territory")
    q.add_argument("--bonded", action="store_true", help="the goods enter a customs warehouse")
    q.add_argument("--altered", action="store_true", help="used/repaired: no returned-goods relief")
    q.add_argument("--import-date", help="the outbound import into FROM (default date - 14 d)")
    q.add_argument("--duty-paid", help="duty paid at that import (default: estimated)")
    q.add_argument("--vat-paid", help="VAT paid at that import (default: estimated)")
    q.add_argument("--paid-currency", help="currency of --duty-paid/--vat-paid")
    q.add_argument("--vat-at-checkout", action="store_true", help="VAT was collected at checkout")
    q.add_argument("--export-date", help="when the goods first left the goods' origin")
    q.add_argument("--in", dest="answer_currency", default="EUR", help="currency of the answer")
    q.add_argument("--json", action="store_true", help="print the assessment as JSON")
    q.set_defaults(func=cmd_customs)

    p = sub.add_parser("plan", help="plan a batch of returns (consolidation, capacities, gap)")
    p.add_argument(
        "returns", metavar="RETURNS", help="batch file, .csv or .parquet (docs/batch_format.md)"
    )
    p.add_argument("--network", metavar="FILE", help="network TOML (default: the embedded one)")
    p.add_argument("--time-limit", type=float, default=60.0, help="solver seconds (default 60)")
    p.add_argument(
        "--gap-limit",
        type=float,
        default=0.0,
        help="stop once the plan is proven within this relative gap, e.g. 0.01 = 1%% (default 0:"
        " prove optimality or use the whole time limit)",
    )
    p.add_argument("--horizon-days", type=int, default=7, help="capacity horizon (default 7)")
    p.add_argument(
        "--backend",
        default="auto",
        help="auto (default: Lagrangian + SCIP on facility-location shapes, else HiGHS),"
        " highs, cpsat, scip or cbc (needs the cbc extra: pip install 'reroute[cbc]')",
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="writes plan.json and assignments.csv"
    )
    p.add_argument("--skip-invalid", action="store_true", help="plan the valid rows, list the rest")
    p.add_argument("--allow-overflow", action="store_true", help="price capacity shortfalls")
    p.add_argument("--overflow-price", default="50.00", help="per unit, network currency")
    p.add_argument(
        "--workers",
        type=int,
        help="processes for independent parts of the batch (default: the machine's cores)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="solve the parts on a Ray cluster ('local' starts one; needs reroute[ray])",
    )
    p.set_defaults(func=cmd_plan)

    g = sub.add_parser("generate-returns", help="a synthetic, realistic batch of returns")
    g.add_argument("n", type=int, metavar="N")
    g.add_argument("--seed", type=int, required=True)
    g.add_argument("--out", required=True, metavar="FILE", help=".csv or .parquet")
    g.add_argument("--start", help="first return date (default today)")
    g.add_argument("--network", metavar="FILE")
    g.set_defaults(func=cmd_generate)

    add_admin_commands(sub)

    n = sub.add_parser("network", help="network files")
    nsub = n.add_subparsers(dest="network_command", required=True)
    c = nsub.add_parser("check", help="validate a network file and summarise it")
    c.add_argument("file")
    c.set_defaults(func=cmd_network_check)

    w = sub.add_parser("whatif", help="compare policies on a what-if scenario, write a report")
    w.add_argument("scenario", metavar="SCENARIO.toml", help="docs/scenario_format.md")
    w.add_argument("--out", required=True, metavar="DIR", help="report.html, report.json, CSVs")
    w.add_argument("--workers", type=int, help="variants at once (default: the machine's cores)")
    w.add_argument("--ray-address", help="run the variants on Ray ('local' starts one)")
    w.add_argument("--time-limit", type=float, help="solver seconds per variant (default: file)")
    w.set_defaults(func=cmd_whatif)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the reason
        return int(exc.code or 0)
    try:
        code: int = args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RerouteError as exc:  # the whole tree: customs, network, configuration errors too
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAIL
    return code


if __name__ == "__main__":
    raise SystemExit(main())
