"""``reroute health``: ask a server's grpc.health.v1 service, for container health checks.

The probe Docker's HEALTHCHECK (and anything else without gRPC tooling) runs: one Check call
with a deadline; prints the status and exits 0 when it is SERVING, 1 otherwise (NOT_SERVING,
SERVICE_UNKNOWN, unreachable, deadline exceeded). Kubernetes probes gRPC health natively
(``grpc:`` probes) and needs no command.
"""

from __future__ import annotations

import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from routing.cli.flags import EXIT_FAIL, EXIT_OK, UsageError


def add_health_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    h = sub.add_parser("health", help="check a server's gRPC health (exit 0 when SERVING)")
    h.add_argument(
        "--server", default="localhost:50051", help="host:port (default localhost:50051)"
    )
    h.add_argument(
        "--service",
        default="",
        help="a service name, e.g. reroute.v1.ReturnsRouting (default: the whole server)",
    )
    h.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    h.add_argument("--tls-ca", metavar="PEM", help="connect with TLS, trusting this CA")
    h.set_defaults(func=cmd_health)


def cmd_health(a: argparse.Namespace) -> int:
    if not 0 < a.timeout <= 300:
        raise UsageError(f"--timeout: must be in (0, 300] seconds, got {a.timeout}")
    if a.tls_ca:
        try:
            with open(a.tls_ca, "rb") as f:
                creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        except OSError as exc:
            raise UsageError(f"--tls-ca: cannot read {a.tls_ca}: {exc.strerror}") from exc
        channel = grpc.secure_channel(a.server, creds)
    else:
        channel = grpc.insecure_channel(a.server)
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            got = stub.Check(health_pb2.HealthCheckRequest(service=a.service), timeout=a.timeout)
        except grpc.RpcError as err:
            code = err.code() if isinstance(err, grpc.Call) else None
            name = code.name if code is not None else "ERROR"
            print(
                f"{a.server}: {name}: {err.details() if isinstance(err, grpc.Call) else err}",
                file=sys.stderr,
            )
            return EXIT_FAIL
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(got.status)
    print(status)
    return EXIT_OK if got.status == health_pb2.HealthCheckResponse.SERVING else EXIT_FAIL
