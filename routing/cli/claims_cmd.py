"""``reroute claims``: the reclaim ledger from the command line (a client of ReclaimLedger).

reroute claims list [--state S] [--route RULE] [--country CC] [--deadline-before DAY]
reroute claims show CLAIM_ID
reroute claims update CLAIM_ID [--evidence KIND=REF ...] [--file | --paid AMOUNT | --rejected WHY]
reroute claims export --dir DIR      one CSV per route: the filing data a broker needs
reroute claims totals                claimable, filed, received, expired by route and month
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import grpc
from google.protobuf import json_format

from customs.fx import format_minor
from reroute.v1 import claims_pb2, claims_pb2_grpc, common_pb2
from routing.cli import client
from routing.cli.flags import EXIT_FAIL, EXIT_OK, UsageError, parse_date, parse_minor
from routing.rpc.wire.claims import CLAIM_STATES
from routing.rpc.wire.enums import CLAIMANTS
from routing.rpc.wire.scalars import date_to_proto
from routing.store.claims import ClaimState

T = TypeVar("T")
_STATE_NAMES = {s.value: s for s in ClaimState}
_PAGE = 500


def add_claims_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("claims", help="the reclaim ledger: duty/VAT reclaims followed to the cash")
    csub = c.add_subparsers(dest="claims_command", required=True)

    def common(p: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
        p.add_argument("--timeout", type=float, default=30.0, help="call deadline in seconds")
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        client.add_client_flags(p)

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--state", help=f"one of {', '.join(_STATE_NAMES)}")
        p.add_argument("--route", metavar="RULE_ID", help="e.g. reclaim.US.1313j")
        p.add_argument("--country", metavar="CC", help="export country, ISO 3166-1 alpha-2")
        p.add_argument("--deadline-before", metavar="YYYY-MM-DD")

    ls = csub.add_parser("list", help="claims by deadline (soonest first)")
    filters(ls)
    common(ls)
    ls.set_defaults(func=cmd_claims_list)
    show = csub.add_parser("show", help="one claim, with its evidence")
    show.add_argument("claim_id", metavar="CLAIM_ID")
    common(show)
    show.set_defaults(func=cmd_claims_show)
    up = csub.add_parser(
        "update",
        help="attach evidence and/or file, mark paid or rejected",
        epilog="example: reroute claims update dec-1-c1 --evidence carrier_tracking=1Z999 --file",
    )
    up.add_argument("claim_id", metavar="CLAIM_ID")
    up.add_argument(
        "--evidence",
        action="append",
        default=[],
        metavar="KIND=REF",
        help="a reference for a piece of evidence (repeat; an empty REF clears it)",
    )
    move = up.add_mutually_exclusive_group()
    move.add_argument("--file", action="store_true", help="file the claim")
    move.add_argument("--paid", metavar="AMOUNT", help="it was paid: the amount received")
    move.add_argument("--rejected", metavar="REASON", help="it was rejected: the reason")
    up.add_argument(
        "--on", metavar="YYYY-MM-DD", help="the day filed/paid/rejected (default today)"
    )
    common(up)
    up.set_defaults(func=cmd_claims_update)
    ex = csub.add_parser("export", help="one CSV per route with the filing data a broker needs")
    ex.add_argument("--dir", required=True, help="folder to write ROUTE.csv files into")
    filters(ex)
    common(ex, json_flag=False)
    ex.set_defaults(func=cmd_claims_export)
    tot = csub.add_parser("totals", help="claimable, filed, received, expired by route and month")
    common(tot)
    tot.set_defaults(func=cmd_claims_totals)


# -- calls ---------------------------------------------------------------------------------


def _run(
    a: argparse.Namespace, call: Callable[[claims_pb2_grpc.ReclaimLedgerStub], Awaitable[T]]
) -> T:
    s = client.settings(a)

    async def go() -> T:
        async with client.open_channel(s) as channel:
            return await call(claims_pb2_grpc.ReclaimLedgerStub(channel))

    try:
        return asyncio.run(go())
    except grpc.aio.AioRpcError as err:
        raise _CallFailed(s, err) from err


class _CallFailed(Exception):
    def __init__(self, s: client.ClientSettings, err: grpc.aio.AioRpcError) -> None:
        super().__init__(err.details())
        self.settings, self.err = s, err


def _md(a: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    return client.metadata(client.api_key(client.settings(a)))


def _list_request(a: argparse.Namespace) -> claims_pb2.ListClaimsRequest:
    req = claims_pb2.ListClaimsRequest(page_size=_PAGE)
    if a.state:
        state = _STATE_NAMES.get(a.state.lower())
        if state is None:
            raise UsageError(f"--state: one of {', '.join(_STATE_NAMES)}; got {a.state!r}")
        req.state = CLAIM_STATES.to_proto(state)
    if a.route:
        req.rule_id = a.route
    if a.country:
        req.export_country = a.country.upper()
    if a.deadline_before:
        req.deadline_before.CopyFrom(
            date_to_proto(parse_date("--deadline-before", a.deadline_before))
        )
    return req


def _all_claims(a: argparse.Namespace, req: claims_pb2.ListClaimsRequest) -> list[claims_pb2.Claim]:
    async def pages(stub: claims_pb2_grpc.ReclaimLedgerStub) -> list[claims_pb2.Claim]:
        out: list[claims_pb2.Claim] = []
        while True:
            page = await stub.ListClaims(req, timeout=a.timeout, metadata=_md(a))
            out.extend(page.claims)
            if not page.next_page_token:
                return out
            req.page_token = page.next_page_token

    return _run(a, pages)


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A server's error answer as one line (and the exit code of its kind), never a traceback."""

    def run(a: argparse.Namespace) -> int:
        try:
            return command(a)
        except _CallFailed as failed:
            code = failed.err.code()
            server = failed.settings.server
            if code is grpc.StatusCode.UNAVAILABLE:
                print(f"error: {client.unreachable(failed.settings)[0]}", file=sys.stderr)
                return EXIT_FAIL
            if code is grpc.StatusCode.UNIMPLEMENTED:
                print(
                    f"error: the server at {server} has no reclaim ledger (it needs its own"
                    " database)",
                    file=sys.stderr,
                )
                return EXIT_FAIL
            print(f"error: {code.name}: {failed.err.details()}", file=sys.stderr)
            return {
                grpc.StatusCode.INVALID_ARGUMENT: 2,
                grpc.StatusCode.FAILED_PRECONDITION: 3,
                grpc.StatusCode.NOT_FOUND: 2,
                grpc.StatusCode.PERMISSION_DENIED: 2,
            }.get(code, EXIT_FAIL)

    return run


def _as_json(messages: Iterable[claims_pb2.Claim]) -> str:
    return json.dumps(
        [
            json_format.MessageToDict(
                m, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
            )
            for m in messages
        ],
        indent=2,
    )


def _day(d: object) -> str:
    year, month, day = getattr(d, "year", 0), getattr(d, "month", 0), getattr(d, "day", 0)
    return f"{year:04d}-{month:02d}-{day:02d}" if year else "-"


def _state(c: claims_pb2.Claim) -> str:
    return CLAIM_STATES.from_proto(c.state).value


def _claimant(c: claims_pb2.Claim) -> str:
    return CLAIMANTS.from_proto(c.claimant).value.replace("_", " ")


# -- commands ------------------------------------------------------------------------------


@_guarded
def cmd_claims_list(a: argparse.Namespace) -> int:
    claims = _all_claims(a, _list_request(a))
    if a.json:
        print(_as_json(claims))
        return EXIT_OK
    if not claims:
        print("no claims")
        return EXIT_OK
    rows = [("claim", "route", "state", "amount", "deadline", "export by", "evidence missing")]
    for c in claims:
        missing = sum(1 for e in c.evidence if not e.reference)
        rows.append(
            (
                c.claim_id,
                c.rule_id,
                _state(c),
                format_minor(c.amount.amount_minor, c.amount.currency),
                _day(c.deadline),
                _day(c.export_by) if c.HasField("export_by") else "-",
                str(missing),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return EXIT_OK


def _print_claim(c: claims_pb2.Claim) -> None:
    print(f"claim {c.claim_id} (decision {c.decision_id}): {_state(c)}")
    print(f"  route: {c.route} [{c.rule_id}], claimed by the {_claimant(c)} in {c.export_country}")
    print(
        f"  amount: {format_minor(c.amount.amount_minor, c.amount.currency)}"
        f" (duty {format_minor(c.duty_minor, c.amount.currency)},"
        f" VAT {format_minor(c.vat_minor, c.amount.currency)})"
    )
    export_by = _day(c.export_by) if c.HasField("export_by") else "no export window tabled"
    print(f"  goods to leave by: {export_by}; file by: {_day(c.deadline)}")
    print("  evidence:")
    for e in c.evidence:
        print(f"    {e.kind}: {e.reference or 'MISSING'}")
    cash = _day(c.expected_cash_date) if c.HasField("expected_cash_date") else c.expected_cash_note
    print(f"  expected cash: {cash}")
    if c.HasField("filed_on"):
        print(f"  filed on {_day(c.filed_on)}")
    if c.HasField("paid_on"):
        print(
            f"  paid on {_day(c.paid_on)}:"
            f" {format_minor(c.received.amount_minor, c.received.currency)} received"
        )
    if c.rejection_reason:
        print(f"  rejected: {c.rejection_reason}")


@_guarded
def cmd_claims_show(a: argparse.Namespace) -> int:
    req = claims_pb2.GetClaimRequest(claim_id=a.claim_id)
    claim = _run(a, lambda stub: stub.GetClaim(req, timeout=a.timeout, metadata=_md(a)))
    if a.json:
        print(json_format.MessageToJson(claim, preserving_proto_field_name=True))
    else:
        _print_claim(claim)
    return EXIT_OK


@_guarded
def cmd_claims_update(a: argparse.Namespace) -> int:
    req = claims_pb2.UpdateClaimRequest(claim_id=a.claim_id)
    for given in a.evidence:
        kind, sep, reference = given.partition("=")
        if not sep or not kind:
            raise UsageError(f"--evidence: expected KIND=REF, got {given!r}")
        req.evidence.append(claims_pb2.Evidence(kind=kind, reference=reference))
    req.action = claims_pb2.CLAIM_ACTION_ATTACH_EVIDENCE
    if a.file:
        req.action = claims_pb2.CLAIM_ACTION_FILE
    elif a.paid is not None:
        current = _run(
            a,
            lambda stub: stub.GetClaim(
                claims_pb2.GetClaimRequest(claim_id=a.claim_id), timeout=a.timeout, metadata=_md(a)
            ),
        )
        currency = current.amount.currency
        req.action = claims_pb2.CLAIM_ACTION_MARK_PAID
        req.received.CopyFrom(
            common_pb2.Money(
                amount_minor=parse_minor("--paid", a.paid, currency), currency=currency
            )
        )
    elif a.rejected is not None:
        req.action = claims_pb2.CLAIM_ACTION_MARK_REJECTED
        req.reason = a.rejected
    elif not req.evidence:
        raise UsageError("nothing to do: give --evidence, --file, --paid or --rejected")
    if a.on:
        req.on.CopyFrom(date_to_proto(parse_date("--on", a.on)))
    claim = _run(a, lambda stub: stub.UpdateClaim(req, timeout=a.timeout, metadata=_md(a)))
    if a.json:
        print(json_format.MessageToJson(claim, preserving_proto_field_name=True))
    else:
        _print_claim(claim)
    return EXIT_OK


_EXPORT_COLUMNS = (
    "claim_id",
    "decision_id",
    "route",
    "claimant",
    "export_country",
    "currency",
    "duty",
    "vat",
    "total",
    "export_by",
    "file_by",
    "state",
    "evidence",
    "evidence_missing",
    "filed_on",
    "paid_on",
    "received",
)


@_guarded
def cmd_claims_export(a: argparse.Namespace) -> int:
    folder = Path(a.dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--dir: cannot create {folder}: {exc.strerror}") from exc
    by_route: dict[str, list[claims_pb2.Claim]] = defaultdict(list)
    for c in _all_claims(a, _list_request(a)):
        by_route[c.rule_id].append(c)
    for rule_id, claims in sorted(by_route.items()):
        path = folder / f"{rule_id}.csv"
        try:
            with path.open("w", newline="", encoding="utf-8") as f:
                out = csv.writer(f)
                out.writerow(_EXPORT_COLUMNS)
                for c in claims:
                    cur = c.amount.currency
                    out.writerow(
                        (
                            c.claim_id,
                            c.decision_id,
                            c.route,
                            _claimant(c),
                            c.export_country,
                            cur,
                            format_minor(c.duty_minor, cur).split()[0],
                            format_minor(c.vat_minor, cur).split()[0],
                            format_minor(c.amount.amount_minor, cur).split()[0],
                            _day(c.export_by) if c.HasField("export_by") else "",
                            _day(c.deadline),
                            _state(c),
                            "; ".join(f"{e.kind}={e.reference}" for e in c.evidence if e.reference),
                            "; ".join(e.kind for e in c.evidence if not e.reference),
                            _day(c.filed_on) if c.HasField("filed_on") else "",
                            _day(c.paid_on) if c.HasField("paid_on") else "",
                            format_minor(c.received.amount_minor, cur).split()[0]
                            if c.HasField("received")
                            else "",
                        )
                    )
        except OSError as exc:
            raise UsageError(f"--dir: cannot write {path}: {exc.strerror}") from exc
        print(f"{path}: {len(claims)} claims")
    if not by_route:
        print("no claims to export")
    return EXIT_OK


@_guarded
def cmd_claims_totals(a: argparse.Namespace) -> int:
    """Claimable (open), filed, received and expired amounts by route and deadline month."""
    claims = _all_claims(a, claims_pb2.ListClaimsRequest(page_size=_PAGE))
    buckets: dict[tuple[str, str, str], dict[str, int]] = defaultdict(
        lambda: {"claimable": 0, "filed": 0, "received": 0, "expired": 0}
    )
    for c in claims:
        row = buckets[
            (c.rule_id, f"{c.deadline.year:04d}-{c.deadline.month:02d}", c.amount.currency)
        ]
        state = CLAIM_STATES.from_proto(c.state)
        if state.open:
            row["claimable"] += c.amount.amount_minor
        elif state is ClaimState.EXPIRED:
            row["expired"] += c.amount.amount_minor
        else:
            row["filed"] += c.amount.amount_minor
            if state is ClaimState.PAID:
                row["received"] += c.received.amount_minor
    if a.json:
        print(
            json.dumps(
                [
                    {"rule_id": r, "month": m, "currency": cur, **sums}
                    for (r, m, cur), sums in sorted(buckets.items())
                ],
                indent=2,
            )
        )
        return EXIT_OK
    as_of = datetime.now(UTC).date().isoformat()
    print(f"reclaim ledger totals as of {as_of} (month = filing deadline)")
    header = ("route", "month", "claimable", "filed", "received", "expired")
    lines: list[tuple[str, ...]] = [header] + [
        (r, m, *(format_minor(sums[k], cur) for k in header[2:]))
        for (r, m, cur), sums in sorted(buckets.items())
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print(
            "  ".join(
                cell.rjust(w) if i >= 2 else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return EXIT_OK
