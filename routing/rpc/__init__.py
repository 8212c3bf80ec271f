"""The gRPC edge: server factory, servicers, wire conversion, status mapping, auth, limits.

:mod:`routing.rpc.server` builds the ``grpc.aio`` server and the ReturnsRouting servicer;
:mod:`~routing.rpc.planning` the BatchPlanning servicer; :mod:`~routing.rpc.edge` what every
call goes through (auth, rate limits, metrics, access log); :mod:`~routing.rpc.wire` the
``reroute.v1`` messages to domain objects and back, one module per concept;
:mod:`~routing.rpc.status` domain errors to gRPC statuses; :mod:`~routing.rpc.app` the
application layer the servicers delegate to (network, router, store; no protobuf);
:mod:`~routing.rpc.http` the same servicers as Connect protocol and gRPC-Web on a second port
(``serve --http-port``), through the same edge.

May import: every layer below it and ``reroute.v1``. Only ``rpc`` and ``cli`` import the wire
contract.
"""

from routing.rpc.app import AppConfig, RoutingApp
from routing.rpc.planning import BatchPlanningServicer
from routing.rpc.server import (
    ReturnsRoutingServicer,
    Running,
    ServerConfig,
    ServerConfigError,
    create_server,
    serve,
    shutdown,
)

__all__ = [
    "AppConfig",
    "BatchPlanningServicer",
    "ReturnsRoutingServicer",
    "RoutingApp",
    "Running",
    "ServerConfig",
    "ServerConfigError",
    "create_server",
    "serve",
    "shutdown",
]
