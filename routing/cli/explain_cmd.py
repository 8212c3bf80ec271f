"""``reroute explain DECISION_ID``: replay a stored decision on the server (ExplainDecision) and
print what changed since it was made: nothing, or each field that differs."""

from __future__ import annotations

import argparse
import asyncio
import sys

import grpc
from google.protobuf import json_format

from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.cli import client
from routing.cli.flags import EXIT_FAIL, EXIT_OK, UsageError
from routing.cli.report import format_explanation
from routing.cli.route_cmd import print_status_error
from routing.rpc.wire.decisions import decision_from_proto

MAX_DECISION_ID = 64


async def _call(
    a: argparse.Namespace, s: client.ClientSettings, request: routing_pb2.ExplainDecisionRequest
) -> routing_pb2.ExplainDecisionResponse:
    async with client.open_channel(s) as channel:
        stub = routing_pb2_grpc.ReturnsRoutingStub(channel)
        response: routing_pb2.ExplainDecisionResponse = await stub.ExplainDecision(
            request, timeout=a.timeout, metadata=client.metadata(client.api_key(s))
        )
        return response


def cmd_explain(a: argparse.Namespace) -> int:
    decision_id = a.decision_id.strip()
    if not decision_id or len(decision_id) > MAX_DECISION_ID or not decision_id.isprintable():
        raise UsageError(
            f"DECISION_ID: a decision id (1-{MAX_DECISION_ID} printable characters), got"
            f" {a.decision_id[:80]!r}"
        )
    request = routing_pb2.ExplainDecisionRequest(decision_id=decision_id)
    s = client.settings(a)
    try:
        response = asyncio.run(_call(a, s, request))
    except client.ClientConfigError as exc:
        raise UsageError(str(exc)) from exc
    except grpc.aio.AioRpcError as err:
        if err.code() is grpc.StatusCode.UNAVAILABLE:
            print(f"error: {client.unreachable(s)[0]}", file=sys.stderr)
            return EXIT_FAIL
        return print_status_error(err, a.json)
    if a.json:
        print(
            json_format.MessageToJson(
                response,
                preserving_proto_field_name=True,
                always_print_fields_with_no_presence=True,
            )
        )
        return EXIT_OK
    differences = [(d.path, d.stored, d.replayed) for d in response.differences]
    print(
        format_explanation(
            decision_from_proto(response.stored, path="stored"),
            decision_from_proto(response.replayed, path="replayed"),
            differences,
            response.truncated,
        )
    )
    return EXIT_OK
