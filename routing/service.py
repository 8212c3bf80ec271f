"""The gRPC edge: a grpc.aio server built by a factory; servicers only convert and delegate.

``create_server(config)`` returns the server (not started) and its bound port, with
ReturnsRouting, grpc.health.v1, server reflection (grpcurl works) and, for benchmarks only,
a raw-bytes echo method. ``serve(config)`` runs it until SIGTERM/SIGINT, then drains.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from reroute.v1 import customs_pb2, routing_pb2, routing_pb2_grpc
from routing.app import AppConfig, RoutingApp
from routing.convert import (
    assessment_to_proto,
    decision_to_proto,
    quote_from_proto,
    return_from_proto,
)
from routing.domain import Decision, Return
from routing.status import to_status

log = logging.getLogger("reroute.service")
SERVICE_NAME = routing_pb2.DESCRIPTOR.services_by_name["ReturnsRouting"].full_name
ECHO_SERVICE = "reroute.bench.Echo"
MIN_SOLVE_S = 0.005  # below this much time left, a split is not attempted


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "0.0.0.0"
    port: int = 50051  # 0 = any free port
    network_file: Path | None = None
    max_message_bytes: int = 4 * 1024 * 1024
    grace_s: float = 5.0
    bench_echo: bool = False  # add the raw echo method used by benchmarks/rpc_load.py
    keepalive_time_ms: int = 30_000
    keepalive_timeout_ms: int = 10_000
    options: tuple[tuple[str, Any], ...] = field(default=())

    def channel_options(self) -> list[tuple[str, Any]]:
        return [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.keepalive_time_ms", self.keepalive_time_ms),
            ("grpc.keepalive_timeout_ms", self.keepalive_timeout_ms),
            ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
            ("grpc.so_reuseport", 0),
            *self.options,
        ]


def _today() -> date:
    return datetime.now(UTC).date()


class ReturnsRoutingServicer(routing_pb2_grpc.ReturnsRoutingServicer):  # type: ignore[misc]
    def __init__(self, app: RoutingApp) -> None:
        self.app = app

    async def _route(self, ret: Return, context: grpc.aio.ServicerContext[Any, Any]) -> Decision:
        remaining = context.time_remaining()
        split_limit = None if remaining is None else remaining / 2
        if split_limit is not None and split_limit <= MIN_SOLVE_S:
            split_limit = 0.0  # too little time left: no split attempt
        if ret.units > 1 and split_limit != 0.0:
            # a split runs CP-SAT: keep it off the event loop
            return await asyncio.get_running_loop().run_in_executor(
                None, lambda: self.app.route_return(ret, time_limit_s=split_limit)
            )
        return self.app.route_return(ret, time_limit_s=split_limit)

    async def RouteReturn(
        self, request: routing_pb2.RouteReturnRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> routing_pb2.RouteReturnResponse:
        try:
            ret = return_from_proto(request.customer_return, today=_today())
            decision = await self._route(ret, context)
            return routing_pb2.RouteReturnResponse(decision=decision_to_proto(decision))
        except Exception as exc:  # every error leaves through to_status: never UNKNOWN
            # grpc-stubs lacks the aio context's abort_with_status
            await context.abort_with_status(rpc_status.to_status(to_status(exc)))  # type: ignore[attr-defined]
            raise  # unreachable: abort raises

    async def QuoteCustoms(
        self, request: customs_pb2.QuoteCustomsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> customs_pb2.QuoteCustomsResponse:
        try:
            q = quote_from_proto(request, today=_today())
            return customs_pb2.QuoteCustomsResponse(
                assessment=assessment_to_proto(self.app.quote_customs(q))
            )
        except Exception as exc:  # every error leaves through to_status: never UNKNOWN
            # grpc-stubs lacks the aio context's abort_with_status
            await context.abort_with_status(rpc_status.to_status(to_status(exc)))  # type: ignore[attr-defined]
            raise

    async def RouteReturns(
        self,
        request_iterator: AsyncIterator[routing_pb2.RouteReturnRequest],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[routing_pb2.RouteReturnsResponse]:
        async for request in request_iterator:
            try:
                ret = return_from_proto(request.customer_return, today=_today())
                decision = await self._route(ret, context)
            except Exception as exc:  # one bad return answers an error, the stream goes on
                yield routing_pb2.RouteReturnsResponse(
                    correlation_id=request.correlation_id, error=to_status(exc)
                )
                continue
            yield routing_pb2.RouteReturnsResponse(
                correlation_id=request.correlation_id, decision=decision_to_proto(decision)
            )


async def _echo(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return request


def _echo_handler() -> grpc.GenericRpcHandler[bytes, bytes]:
    return grpc.method_handlers_generic_handler(
        ECHO_SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(_echo)}
    )


@dataclass
class Running:
    server: grpc.aio.Server
    port: int
    health: HealthServicer
    app: RoutingApp


async def create_server(config: ServerConfig, app: RoutingApp | None = None) -> Running:
    """Build (but do not start) the server; the network is loaded and compiled here."""
    app = app or RoutingApp.from_config(AppConfig(network_file=config.network_file))
    server = grpc.aio.server(options=config.channel_options())
    routing_pb2_grpc.add_ReturnsRoutingServicer_to_server(ReturnsRoutingServicer(app), server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [
        SERVICE_NAME,
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        reflection.SERVICE_NAME,
    ]
    reflection.enable_server_reflection(names, server)
    if config.bench_echo:
        server.add_generic_rpc_handlers((_echo_handler(),))
    port = server.add_insecure_port(f"{config.host}:{config.port}")
    if port == 0:
        raise OSError(f"cannot bind {config.host}:{config.port}")
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    await health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    return Running(server, port, health, app)


async def shutdown(running: Running, grace_s: float) -> None:
    """Stop taking calls, let in-flight ones finish within ``grace_s``, then stop."""
    await running.health.enter_graceful_shutdown()
    await running.server.stop(grace_s)


async def serve(config: ServerConfig, *, ready: asyncio.Event | None = None) -> None:
    running = await create_server(config)
    await running.server.start()
    host = "127.0.0.1" if config.host in ("0.0.0.0", "[::]", "") else config.host
    print(
        f"reroute: network {running.app.network.name!r}; listening on {host}:{running.port}",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    waiter = asyncio.ensure_future(running.server.wait_for_termination())
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stop.is_set():
        log.info("signal received: draining for up to %.1f s", config.grace_s)
        print("reroute: shutting down", flush=True)
        await shutdown(running, config.grace_s)
    waiter.cancel()
    stopper.cancel()
