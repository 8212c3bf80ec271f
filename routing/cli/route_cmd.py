"""``reroute route`` (ask a server where one return should go) and ``reroute customs`` (assess
one border crossing locally, no server needed).

``route`` builds a RouteReturnRequest from a JSON file or from flags (one item line, validated
as the server would), calls RouteReturn and prints the decision as text or JSON; a gRPC error
becomes its exit code with the status details listed. ``customs`` turns its flags into a
customs quote, estimating the original import when its amounts are not given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import TypeVar

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from customs.api import (
    Assessment,
    Channel,
    CustomsAssessor,
    CustomsItem,
    ImportRecord,
    ReturnReason,
)
from customs.fx import format_minor
from hubs.model import ConditionGrade
from reroute.v1 import customs_pb2, routing_pb2, routing_pb2_grpc
from routing.cli import client
from routing.cli.flags import (
    EXIT_FAIL,
    EXIT_INFEASIBLE,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    parse_date,
    parse_minor,
)
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
from routing.errors import InvalidInput, NoFeasibleOption
from routing.rpc.wire.customs import assessment_to_proto, quote_from_proto
from routing.rpc.wire.decisions import decision_from_proto
from routing.rpc.wire.returns import request_to_proto

E = TypeVar("E", bound=Enum)


# -- reroute route ------------------------------------------------------------------------


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
    return_date = parse_date("--return-date", a.return_date) if a.return_date else today
    item = checked(
        validate_item,
        "item",
        Item(
            sku=a.sku,
            hs_code=a.hs,
            value_minor=parse_minor("--value", a.value, a.currency),
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
        import_date=parse_date("--import-date", a.import_date) if a.import_date else return_date,
        duty_paid_minor=parse_minor("--duty-paid", a.duty_paid, paid_currency),
        vat_paid_minor=parse_minor("--vat-paid", a.vat_paid, paid_currency),
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


_M = TypeVar("_M", bound=Message)


def _read_message(path: str, message: _M, wrap: str = "") -> _M:
    """``message`` read from the JSON file at ``path`` (protobuf's JSON mapping); a JSON object
    without the field ``wrap`` is taken as that field's value. Every failure is a UsageError
    naming the file and what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--file: cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"--file {path}: not UTF-8 text ({exc.reason})") from exc
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise UsageError(f"--file {path}: expected a JSON object")
        camel = "".join(w.capitalize() if i else w for i, w in enumerate(wrap.split("_")))
        if wrap and wrap not in data and camel not in data:
            data = {wrap: data}
        json_format.ParseDict(data, message)
    except (json.JSONDecodeError, json_format.ParseError) as exc:
        raise UsageError(f"--file {path}: {' '.join(str(exc).split())}") from exc  # one line
    return message


def _request(a: argparse.Namespace) -> routing_pb2.RouteReturnRequest:
    if a.file is not None:  # a bare Return is fine too
        return _read_message(a.file, routing_pb2.RouteReturnRequest(), "customer_return")
    today = datetime.now(UTC).date()
    try:
        return request_to_proto(_return_from_flags(a, today))
    except InvalidInput as exc:
        raise UsageError(str(exc).replace("return.", "")) from exc


def print_status_error(err: grpc.aio.AioRpcError | grpc.RpcError, as_json: bool) -> int:
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
        text = _precondition_line(status) if status is not None else None
        if text is None:
            text = f"{code.name}: {err.details()}"
        if code is grpc.StatusCode.UNAUTHENTICATED:
            text += "; give --api-key, $REROUTE_API_KEY or client.api_key in the config file"
        print(f"error: {text}", file=sys.stderr)
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return EXIT_USAGE
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return EXIT_INFEASIBLE
    return EXIT_FAIL


def _precondition_line(status: status_pb2.Status) -> str | None:
    """A FAILED_PRECONDITION's violations on one line: each reason once, with how many options
    it refused and one example (``--json`` lists them all)."""
    by_type: dict[str, list[str]] = {}
    for any_msg in status.details:
        pre = error_details_pb2.PreconditionFailure()
        if any_msg.Unpack(pre):
            for v in pre.violations:
                by_type.setdefault(v.type, []).append(f"{v.subject}: {v.description}")
    if not by_type:
        return None
    parts = [
        f"{kind} x{len(found)} (e.g. {found[0]})" if len(found) > 1 else f"{kind} ({found[0]})"
        for kind, found in by_type.items()
    ]
    return f"no feasible option: {'; '.join(parts)} (--json lists every option)"


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
    a: argparse.Namespace, s: client.ClientSettings, request: routing_pb2.RouteReturnRequest
) -> routing_pb2.RouteReturnResponse:
    async with client.open_channel(s) as channel:
        stub = routing_pb2_grpc.ReturnsRoutingStub(channel)
        response: routing_pb2.RouteReturnResponse = await stub.RouteReturn(
            request, timeout=a.timeout, metadata=client.metadata(client.api_key(s))
        )
        return response


def cmd_route(a: argparse.Namespace) -> int:
    if not a.timeout > 0:  # also refuses NaN
        raise UsageError(f"--timeout: must be > 0 seconds, got {a.timeout}")
    s = client.settings(a)
    request = _request(a)
    try:
        response = asyncio.run(_call(a, s, request))
    except client.ClientConfigError as exc:
        raise UsageError(str(exc)) from exc
    except grpc.aio.AioRpcError as err:
        if err.code() is grpc.StatusCode.UNAVAILABLE:
            why, misconfigured = client.unreachable(s)
            if misconfigured:  # TLS on one side only, an untrusted certificate: the flags
                raise UsageError(why) from None
            print(f"error: {why}", file=sys.stderr)
            return EXIT_FAIL
        if err.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
            print(
                f"error: no answer from {s.server} within --timeout {a.timeout:g} s",
                file=sys.stderr,
            )
            return EXIT_FAIL
        return print_status_error(err, a.json)
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
    on = parse_date("--date", a.date) if a.date else datetime.now(UTC).date()
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
        value_minor=parse_minor("--value", a.value, a.currency),
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
        parse_date("--import-date", a.import_date) if a.import_date else on - timedelta(days=14)
    )
    paid_currency = a.paid_currency or a.currency
    note = ""
    original: ImportRecord | None = None
    if a.duty_paid is not None or a.vat_paid is not None:
        original = ImportRecord(
            country=a.from_country,
            import_date=import_date,
            duty_paid_minor=parse_minor("--duty-paid", a.duty_paid or "0", paid_currency),
            vat_paid_minor=parse_minor("--vat-paid", a.vat_paid or "0", paid_currency),
            currency=paid_currency,
            vat_collected_at_checkout=a.vat_at_checkout,
        )
    elif goods_origin != a.from_country:
        original, note = _estimate_original_import(
            a, customs, item, goods_origin, channel, import_date
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
        export_date=parse_date("--export-date", a.export_date) if a.export_date else None,
        vat_at_checkout=a.entry_vat_at_checkout,
    )
    return q, note


def _estimate_original_import(
    a: argparse.Namespace,
    customs: CustomsAssessor,
    item: CustomsItem,
    goods_origin: str,
    channel: Channel,
    import_date: date,
) -> tuple[ImportRecord | None, str]:
    """What the outbound import into FROM cost, estimated by assessing the same goods from
    their origin into FROM on the import date, and a note saying so. With --vat-at-checkout
    the outbound crossing enters under FROM's checkout-VAT scheme (its duty exemption too, as
    for VOEC); the VAT the seller charged is FROM's import VAT on the same goods."""

    def outbound(at_checkout: bool) -> Assessment:
        q = QuoteInput(
            goods_origin,
            a.from_country,
            goods_origin,
            channel,
            ReturnReason.CHANGED_MIND,
            (item,),
            import_date,
            a.currency,
            vat_at_checkout=at_checkout,
        )
        try:
            return quote(customs, q)
        except InvalidInput as exc:
            reasons = "; ".join(v.description for v in exc.violations)
            raise UsageError(f"--import-date {import_date.isoformat()}: {reasons}") from exc

    entry = outbound(a.vat_at_checkout)
    duty, vat, how = entry.duty_due_minor, entry.vat_due_minor, ""
    if a.vat_at_checkout:
        at_border = outbound(False).vat_due_minor
        if at_border > vat:  # the scheme took the goods: the seller charged that VAT at sale
            vat, how = at_border, " (collected at checkout)"
        else:  # the scheme does not take them (over its limit, none tabled): say why
            how = "".join(f"; {n}" for n in entry.notes if "checkout" in n)
    if duty + vat == 0:
        return None, ""
    record = ImportRecord(
        country=a.from_country,
        import_date=import_date,
        duty_paid_minor=duty,
        vat_paid_minor=vat,
        currency=a.currency,
        vat_collected_at_checkout=a.vat_at_checkout,
    )
    note = (
        f"original import into {a.from_country} on {import_date.isoformat()} estimated"
        f" by assessing {goods_origin} -> {a.from_country}: duty"
        f" {format_minor(duty, a.currency)}, VAT {format_minor(vat, a.currency)}{how}"
        " (give --duty-paid and --vat-paid for the real amounts)"
    )
    return record, note


def cmd_customs(a: argparse.Namespace) -> int:
    import customs

    engine = customs.default_engine()
    if a.file is not None:  # a QuoteCustomsRequest: several item lines, every field named
        if a.from_country or a.to_country or a.value or a.currency or a.hs:
            raise UsageError(
                "--file: give the crossing in the file or as FROM TO --value --currency --hs,"
                " not both"
            )
        request = _read_message(a.file, customs_pb2.QuoteCustomsRequest())
        q, note = quote_from_proto(request, today=datetime.now(UTC).date()), ""
    else:
        absent = [
            name
            for name, given in (
                ("FROM", a.from_country),
                ("TO", a.to_country),
                ("--value", a.value),
                ("--currency", a.currency),
                ("--hs", a.hs),
            )
            if not given
        ]
        if absent:
            raise UsageError(f"{', '.join(absent)}: required (or give --file QUOTE.json)")
        q, note = _quote_input(a, engine)
    try:
        assessment = quote(engine, q)
    except NoFeasibleOption as gap:  # valid input the tables cover in part: show that part
        if gap.partial is None:
            raise
        missing = "; ".join(f"{v.subject}: {v.description}" for v in gap.violations)
        if not a.json:
            print(f"PARTIAL ANSWER: the tables do not cover {missing}")
        _print_assessment(a, gap.partial, note)
        print(f"error: not covered: {missing}", file=sys.stderr)
        return EXIT_INFEASIBLE
    _print_assessment(a, assessment, note)
    return EXIT_OK


def _print_assessment(a: argparse.Namespace, assessment: Assessment, note: str) -> None:
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
