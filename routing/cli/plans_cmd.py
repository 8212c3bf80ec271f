"""``reroute plans list``: the caller's plan jobs on a server (BatchPlanning.ListPlans)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import grpc
from google.protobuf import json_format

from reroute.v1 import planning_pb2, planning_pb2_grpc
from routing.cli import client
from routing.cli.flags import EXIT_FAIL, EXIT_OK
from routing.cli.route_cmd import print_status_error

STATES = {
    "queued": planning_pb2.PLAN_STATE_QUEUED,
    "running": planning_pb2.PLAN_STATE_RUNNING,
    "succeeded": planning_pb2.PLAN_STATE_SUCCEEDED,
    "failed": planning_pb2.PLAN_STATE_FAILED,
    "cancelled": planning_pb2.PLAN_STATE_CANCELLED,
}
_NAMES = {v: k for k, v in STATES.items()}


def add_plans_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plans", help="plan jobs on a server (submitted through BatchPlanning)")
    plans = p.add_subparsers(dest="plans_command", required=True)
    ls = plans.add_parser("list", help="your plan jobs, newest first, one page")
    ls.add_argument("--state", choices=sorted(STATES), help="only jobs in this state")
    ls.add_argument("--page-size", type=int, default=0, help="jobs per page, 0-500 (0 = 50)")
    ls.add_argument("--page-token", default="", help="the token printed after a page")
    ls.add_argument("--timeout", type=float, default=10.0, help="call deadline in seconds")
    ls.add_argument("--json", action="store_true", help="print the ListPlansResponse as JSON")
    client.add_client_flags(ls)
    ls.set_defaults(func=cmd_plans_list)


async def _list(a: argparse.Namespace, s: client.ClientSettings) -> planning_pb2.ListPlansResponse:
    request = planning_pb2.ListPlansRequest(
        page_size=a.page_size,
        page_token=a.page_token,
        state=STATES[a.state] if a.state else planning_pb2.PLAN_STATE_UNSPECIFIED,
    )
    async with client.open_channel(s) as channel:
        stub = planning_pb2_grpc.BatchPlanningStub(channel)
        response: planning_pb2.ListPlansResponse = await stub.ListPlans(
            request, timeout=a.timeout, metadata=client.metadata(client.api_key(s))
        )
        return response


def cmd_plans_list(a: argparse.Namespace) -> int:
    """Prints one line per job (id, state, returns, submitted, objective and gap when known);
    the page token of the next page, if any, last. Bad flags are the server's INVALID_ARGUMENT
    (exit 2, the field named)."""
    s = client.settings(a)
    try:
        response = asyncio.run(_list(a, s))
    except grpc.aio.AioRpcError as err:
        if err.code() is grpc.StatusCode.UNAVAILABLE:
            print(f"error: {client.unreachable(s)[0]}", file=sys.stderr)
            return EXIT_FAIL
        return print_status_error(err, a.json)
    if a.json:
        print(json_format.MessageToJson(response, preserving_proto_field_name=True))
        return EXIT_OK
    print(f"{'job id':<32}  {'state':<9}  {'returns':>7}  {'submitted (UTC)':<19}  objective  gap")
    for job in response.jobs:
        created = job.create_time.ToDatetime().strftime("%Y-%m-%d %H:%M:%S")
        p = job.progress
        objective = f"{p.incumbent_minor} {p.currency}" if p.HasField("incumbent_minor") else "-"
        gap = f"{p.gap:.2%}" if p.HasField("gap") else "-"
        state = _NAMES.get(job.state, str(job.state))
        print(f"{job.job_id:<32}  {state:<9}  {job.returns:>7}  {created:<19}  {objective}  {gap}")
    if response.next_page_token:
        print(f"more: --page-token {response.next_page_token}")
    return EXIT_OK
