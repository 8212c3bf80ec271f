"""The gRPC edge: a grpc.aio server built by a factory; servicers only convert and delegate.

``create_server(config)`` returns the server (not started) and its bound port, with
ReturnsRouting, grpc.health.v1, server reflection (grpcurl works) and, for benchmarks only,
a raw-bytes echo method. ``serve(config)`` runs it until SIGTERM/SIGINT, then drains.

The database (``routing.store``) is migrated at start; with ``auth`` (the default) every
ReturnsRouting call needs an API key (``routing.rpc.edge``), and on an empty database the server
creates the ``default`` tenant and writes its key to ``<data dir>/default.key`` (mode 0600),
which ``reroute route`` on the same machine reads: zero set-up. Health and reflection stay
open. TLS (and mTLS with ``tls_client_ca``) from configuration.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from hubs import default_network
from hubs.loader import loads_network, read_network_text
from reroute.v1 import (
    claims_pb2_grpc,
    customs_pb2,
    planning_pb2_grpc,
    routing_pb2,
    routing_pb2_grpc,
)
from routing.decide.domain import Decision, Return
from routing.errors import ConfigurationError, InvalidInput, LimitReached
from routing.observe import Metrics
from routing.plan.jobs import DEFAULT_QUEUE_LIMITS, DEFAULT_TENANT, PlanJobs, QueueLimits
from routing.rpc.app import RoutingApp, make_page_token
from routing.rpc.auth import SqlAuthenticator
from routing.rpc.edge import (
    EdgeInterceptor,
    Guard,
    Limits,
    Undecodable,
    abort,
    answers_errors,
    current_tenant,
)
from routing.rpc.ledger import SERVICE_NAME as LEDGER_SERVICE
from routing.rpc.ledger import ReclaimLedgerServicer
from routing.rpc.limits import Rate, SharedRateLimiter
from routing.rpc.planning import SERVICE_NAME as PLANNING_SERVICE
from routing.rpc.planning import BatchPlanningServicer
from routing.rpc.status import grpc_code, to_status
from routing.rpc.wire.customs import assessment_to_proto, quote_from_proto
from routing.rpc.wire.decisions import decision_bytes, explanation_to_proto
from routing.rpc.wire.returns import return_from_proto
from routing.store.database import (
    DatabaseConfigError,
    data_dir,
    database_url,
    make_engine,
    redacted,
    upgrade,
)
from routing.store.decisions import StoredDecision
from routing.store.jobs import SqlJobStore
from routing.store.ledger import SqlClaimLedger
from routing.store.rates import SqlRateBuckets
from routing.store.sql import SqlDecisionStore
from routing.store.tenants import bootstrap, register_network

if TYPE_CHECKING:
    from routing.rpc.http import HttpServer

log = logging.getLogger("reroute.service")
SERVICE_NAME = routing_pb2.DESCRIPTOR.services_by_name["ReturnsRouting"].full_name
ECHO_SERVICE = "reroute.bench.Echo"
MIN_SOLVE_S = 0.005  # below this much time left, a split is not attempted
# at shutdown, grpc stops once no call has come for this long (see ``shutdown``)
QUIET_S = 0.1


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
    plan_max_running: int = 1  # plan jobs solving at once (each in its own process)
    plan_workers: int = 1  # processes per plan for its independent parts
    # per tenant: queued plan jobs, and returns in queued + running ones (routing.plan.jobs)
    plan_max_queued_jobs: int = DEFAULT_QUEUE_LIMITS.max_queued_jobs
    plan_max_queued_returns: int = DEFAULT_QUEUE_LIMITS.max_queued_returns
    plan_lease_s: float = 30.0  # a running job's owner renews its claim; dead owners: FAILED
    plan_poll_s: float = 1.0  # how often queued jobs of other processes are looked for
    options: tuple[tuple[str, Any], ...] = field(default=())
    # None: REROUTE_DATABASE_URL, else the SQLite file in the data dir (routing.store.database)
    database_url: str | None = None
    auth: bool = True  # ReturnsRouting calls need an API key
    auth_cache_s: float = 5.0  # a revoked key stops working within this time
    tls_cert: Path | None = None  # PEM; with tls_key: TLS instead of plaintext
    tls_key: Path | None = None
    tls_client_ca: Path | None = None  # PEM CA: clients must present a cert it signed (mTLS)
    rate_per_s: float | None = 200.0  # per tenant, unless the tenant has its own; None: off
    burst: int = 400
    max_stream_requests: int = 100_000  # per RouteReturns call; then RESOURCE_EXHAUSTED
    max_items_per_return: int = 1000  # item lines of one return (the wire contract's maximum)
    metrics_port: int | None = None  # Prometheus /metrics on this port; None: off
    # a decision is stored only while at least this much of its call's deadline remains: the
    # time its answer takes to reach the caller (a stored decision is one the caller received)
    commit_margin_s: float = 0.02
    # SO_REUSEPORT: several processes (``reroute serve --workers``) listen on one port
    reuse_port: bool = False
    http_port: int | None = None  # Connect/gRPC-Web (routing.rpc.http) on this port; None: off

    def channel_options(self) -> list[tuple[str, Any]]:
        return [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.keepalive_time_ms", self.keepalive_time_ms),
            ("grpc.keepalive_timeout_ms", self.keepalive_timeout_ms),
            ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
            ("grpc.so_reuseport", 1 if self.reuse_port else 0),
            *self.options,
        ]


def _today() -> date:
    return datetime.now(UTC).date()


def _stored_to_proto(s: StoredDecision) -> routing_pb2.GetDecisionResponse:
    """A stored decision on the wire. The store keeps its own form (``routing.store.codec``)
    and hands back a domain Decision: converted here, the wire bytes of a decision this process
    answered recently taken as they were (``decision_bytes``)."""
    created = timestamp_pb2.Timestamp()
    created.FromDatetime(s.created_at)
    response = routing_pb2.GetDecisionResponse(create_time=created)
    response.decision.MergeFromString(decision_bytes(s.decision))
    return response


@answers_errors(SERVICE_NAME)
class ReturnsRoutingServicer(routing_pb2_grpc.ReturnsRoutingServicer):  # type: ignore[misc]
    def __init__(
        self,
        app: RoutingApp,
        guard: Guard | None = None,
        metrics: Metrics | None = None,
        *,
        max_items_per_return: int = 1000,
        commit_margin_s: float = 0.02,
        max_answer_bytes: int = 2 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.max_answer_bytes = max_answer_bytes  # ListDecisions pages stop before this
        self.guard = guard
        self.metrics = metrics
        self.max_items = max_items_per_return
        self.commit_margin_s = commit_margin_s

    def _return(self, request: routing_pb2.RouteReturnRequest) -> Return:
        n = len(request.customer_return.items)
        if n > self.max_items:
            raise InvalidInput.one(
                "customer_return.items",
                f"{n} item lines; this server takes at most {self.max_items}",
            )
        return return_from_proto(request.customer_return, today=_today())

    async def _route(self, ret: Return, context: grpc.aio.ServicerContext[Any, Any]) -> Decision:
        remaining = context.time_remaining()
        split_limit = None if remaining is None else remaining / 2
        if split_limit is not None and split_limit <= MIN_SOLVE_S:
            split_limit = 0.0  # too little time left: no split attempt
        # the store commits before the answer is sent, and only while the answer can still
        # reach the caller in time: ``commit_margin_s`` before the call's deadline
        commit_by = (
            None if remaining is None else time.monotonic() + remaining - self.commit_margin_s
        )
        # a split (CP-SAT) runs off the event loop
        return await self.app.route_return_async(
            ret, tenant=current_tenant(), time_limit_s=split_limit, commit_by=commit_by
        )

    async def RouteReturn(
        self, request: routing_pb2.RouteReturnRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> routing_pb2.RouteReturnResponse:
        ret = self._return(request)
        decision = await self._route(ret, context)
        response = routing_pb2.RouteReturnResponse()
        response.decision.MergeFromString(decision_bytes(decision))  # stored: converted once
        return response

    async def QuoteCustoms(
        self, request: customs_pb2.QuoteCustomsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> customs_pb2.QuoteCustomsResponse:
        q = quote_from_proto(request, today=_today())
        return customs_pb2.QuoteCustomsResponse(
            assessment=assessment_to_proto(self.app.quote_customs(q))
        )

    async def GetDecision(
        self, request: routing_pb2.GetDecisionRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> routing_pb2.GetDecisionResponse:
        tenant = current_tenant()
        stored = await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.app.get_decision(request.decision_id, tenant=tenant)
        )
        return _stored_to_proto(stored)

    async def ListDecisions(
        self, request: routing_pb2.ListDecisionsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> routing_pb2.ListDecisionsResponse:
        tenant = current_tenant()
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: self._decisions_page(tenant, request)
        )

    def _decisions_page(
        self, tenant: str, request: routing_pb2.ListDecisionsRequest
    ) -> routing_pb2.ListDecisionsResponse:
        """One page, built off the event loop. It ends early when the next decision would take
        the answer past half the message size limit (AIP-158: fewer than page_size, the token
        goes on from there; 500 decisions can weigh over the 4 MiB default, which grpc refuses
        to send), and the store decodes no more stored bytes than that budget, so a page never
        holds tens of MB of decisions in memory."""
        page, token = self.app.list_decisions(
            tenant=tenant,
            page_size=request.page_size,
            page_token=request.page_token,
            max_bytes=self.max_answer_bytes,
        )
        answer = routing_pb2.ListDecisionsResponse()
        size = 0
        for i, stored in enumerate(page.items):
            d = _stored_to_proto(stored)
            n = d.ByteSize() + 16  # the field's key and length, generously
            if i and size + n > self.max_answer_bytes:
                token = make_page_token(page.items[i - 1].seq)
                break
            answer.decisions.append(d)
            size += n
        answer.next_page_token = token
        return answer

    async def ExplainDecision(
        self,
        request: routing_pb2.ExplainDecisionRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> routing_pb2.ExplainDecisionResponse:
        tenant = current_tenant()
        replay = await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.app.explain_decision(request.decision_id, tenant=tenant)
        )
        return explanation_to_proto(
            replay.stored, replay.replayed, replay.differences, truncated=replay.truncated
        )

    async def RouteReturns(
        self,
        request_iterator: AsyncIterator[routing_pb2.RouteReturnRequest | Undecodable],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[routing_pb2.RouteReturnsResponse]:
        seen = 0
        limit = self.guard.limits.max_stream_requests if self.guard else None
        async for request in request_iterator:
            seen += 1
            if limit is not None and seen > limit:
                await abort(
                    context,
                    LimitReached(f"at most {limit} requests per stream: open a new stream"),
                )
            try:
                if self.guard is not None:
                    await self.guard.take()
                if isinstance(request, Undecodable):  # bytes that were not a message
                    raise request.error
                ret = self._return(request)
                decision = await self._route(ret, context)
            except Exception as exc:  # one bad return answers an error, the stream goes on
                status = to_status(exc)
                if self.metrics is not None:
                    self.metrics.stream_items.labels(grpc_code(status).name).inc()
                yield routing_pb2.RouteReturnsResponse(
                    correlation_id=request.correlation_id, error=status
                )
                continue
            if self.metrics is not None:
                self.metrics.stream_items.labels("OK").inc()
            answer = routing_pb2.RouteReturnsResponse(correlation_id=request.correlation_id)
            answer.decision.MergeFromString(decision_bytes(decision))
            yield answer


async def _echo(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
    return request


def _echo_handler() -> grpc.GenericRpcHandler[bytes, bytes]:
    return grpc.method_handlers_generic_handler(
        ECHO_SERVICE, {"Echo": grpc.unary_unary_rpc_method_handler(_echo)}
    )


class Health(HealthServicer):  # type: ignore[misc]  # grpc_health ships no types
    """grpc.health.v1 (grpc's asyncio servicer) whose Watch streams end, right after telling
    NOT_SERVING, when the server shuts down: cancelled at the end of the grace period instead,
    each would keep the stop waiting for all of it and log an unhandled CancelledError."""

    def __init__(self) -> None:
        super().__init__()
        self._watching: dict[str, int] = {}  # service name -> open Watch streams

    async def Watch(
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> None:
        service = request.service
        condition = self._server_watchers[service]
        self._watching[service] = self._watching.get(service, 0) + 1
        last = None
        try:
            async with condition:
                while True:
                    status = self._server_status.get(
                        service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
                    )
                    if status != last:
                        await context.write(health_pb2.HealthCheckResponse(status=status))
                        last = status
                    if self._gracefully_shutting_down:
                        return
                    await condition.wait()
        finally:  # the last watcher of a name forgets it (any name can be asked for)
            self._watching[service] -= 1
            if not self._watching[service]:
                del self._watching[service]
                self._server_watchers.pop(service, None)


@dataclass
class Running:
    server: grpc.aio.Server
    port: int
    health: HealthServicer
    app: RoutingApp
    plans: PlanJobs | None = None
    engine: Engine | None = None
    metrics: Metrics | None = None
    key_file: Path | None = None  # written at this start: the default tenant's first key
    metrics_port: int | None = None  # where /metrics is served (serve()), None: not served
    # what the HTTP edge (routing.rpc.http) shares with this server's gRPC edge
    edge: EdgeInterceptor | None = None
    servicers: tuple[object, ...] = ()


class ServerConfigError(ConfigurationError):
    """A configuration the server cannot start with (TLS files, database); says which."""


def _network_text(config: ServerConfig) -> str:
    if config.network_file is None:
        ref = resources.files("hubs").joinpath("data", "default_network.toml")
        return ref.read_text(encoding="utf-8")
    return read_network_text(config.network_file)


def _open_database(config: ServerConfig) -> Engine:
    try:
        engine = make_engine(database_url(config.database_url))
        upgrade(engine)
    except DatabaseConfigError as exc:
        raise ServerConfigError(str(exc)) from exc
    except SQLAlchemyError as exc:
        url = redacted(database_url(config.database_url))
        raise ServerConfigError(
            f"database {url}: {type(exc).__name__}: {exc.args[0] if exc.args else ''}"
        ) from exc
    return engine


def _read_pem(flag: str, path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ServerConfigError(f"{flag}: cannot read {path}: {exc.strerror}") from exc


def _bind(server: grpc.aio.Server, config: ServerConfig) -> int:
    address = f"{config.host}:{config.port}"
    if config.tls_cert is None and config.tls_key is None:
        if config.tls_client_ca is not None:
            raise ServerConfigError("--tls-client-ca needs --tls-cert and --tls-key")
        try:
            return server.add_insecure_port(address)
        except RuntimeError as exc:  # grpc reports a port it cannot bind this way
            raise ServerConfigError(
                f"cannot bind {address}: in use by another process, or not an address of"
                " this machine"
            ) from exc
    if config.tls_cert is None or config.tls_key is None:
        raise ServerConfigError("TLS needs both --tls-cert and --tls-key")
    ca = _read_pem("--tls-client-ca", config.tls_client_ca) if config.tls_client_ca else None
    creds = grpc.ssl_server_credentials(
        [(_read_pem("--tls-key", config.tls_key), _read_pem("--tls-cert", config.tls_cert))],
        root_certificates=ca,
        require_client_auth=ca is not None,
    )
    try:
        return server.add_secure_port(address, creds)
    except RuntimeError as exc:  # grpc reports unusable PEM data this way
        raise ServerConfigError(f"TLS: cannot use the certificate/key: {exc}") from exc


async def create_server(config: ServerConfig, app: RoutingApp | None = None) -> Running:
    """Build (but do not start) the server; the network is loaded and compiled here, the
    database migrated. A given ``app`` keeps its own store (tests); the database then serves
    API keys only (when ``config.auth``)."""
    engine = _open_database(config) if app is None or config.auth else None
    job_store: SqlJobStore | None = None
    if app is None:
        assert engine is not None
        # the text registered is the text loaded: the file is read once
        text = _network_text(config)
        network = (
            loads_network(text, origin=str(config.network_file))
            if config.network_file
            else default_network()
        )
        network_id = register_network(engine, network.name, text)
        app = RoutingApp(network, store=SqlDecisionStore(engine, network_id))
        job_store = SqlJobStore(engine)
    authenticator = None
    key_file = None
    if config.auth:
        assert engine is not None
        key_file = bootstrap(engine, data_dir())
        authenticator = SqlAuthenticator(engine, cache_s=config.auth_cache_s)
    rate = Rate(config.rate_per_s, config.burst) if config.rate_per_s else None
    # with a database the buckets are there, shared by every process and replica
    limiter = SharedRateLimiter(SqlRateBuckets(engine).lease) if engine is not None else None
    guard = Guard(Limits(rate, config.max_stream_requests), limiter)
    metrics = Metrics()
    metrics.watch_capacity(app.store.reserved, app.capacity)
    if job_store is not None:
        job_store.metrics = metrics
    interceptor = EdgeInterceptor(authenticator, guard, metrics, default_tenant=DEFAULT_TENANT)
    server = grpc.aio.server(options=config.channel_options(), interceptors=[interceptor])
    servicer = ReturnsRoutingServicer(
        app,
        guard,
        metrics,
        max_items_per_return=config.max_items_per_return,
        commit_margin_s=config.commit_margin_s,
        max_answer_bytes=config.max_message_bytes // 2,
    )
    routing_pb2_grpc.add_ReturnsRoutingServicer_to_server(servicer, server)
    plans = PlanJobs(
        app.router,
        job_store,
        max_running=config.plan_max_running,
        workers=config.plan_workers,
        limits=QueueLimits(config.plan_max_queued_jobs, config.plan_max_queued_returns),
        lease_s=config.plan_lease_s,
        poll_s=config.plan_poll_s,
    )
    plans.start()  # queued jobs in the database, this process's or another's, are taken
    planning = BatchPlanningServicer(plans)
    planning_pb2_grpc.add_BatchPlanningServicer_to_server(planning, server)
    servicers: tuple[object, ...] = (servicer, planning)
    if job_store is not None:  # the server's own SQL store: its decisions feed the ledger
        assert engine is not None
        ledger = ReclaimLedgerServicer(SqlClaimLedger(engine))
        claims_pb2_grpc.add_ReclaimLedgerServicer_to_server(ledger, server)
        servicers = (*servicers, ledger)
    health = Health()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [
        SERVICE_NAME,
        PLANNING_SERVICE,
        LEDGER_SERVICE,
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        reflection.SERVICE_NAME,
    ]
    reflection.enable_server_reflection(names, server)
    if config.bench_echo:
        server.add_generic_rpc_handlers((_echo_handler(),))
    port = _bind(server, config)
    if port == 0:
        raise OSError(f"cannot bind {config.host}:{config.port}")
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    await health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    await health.set(PLANNING_SERVICE, health_pb2.HealthCheckResponse.SERVING)
    if job_store is not None:
        await health.set(LEDGER_SERVICE, health_pb2.HealthCheckResponse.SERVING)
    return Running(
        server,
        port,
        health,
        app,
        plans,
        engine,
        metrics,
        key_file,
        edge=interceptor,
        servicers=servicers,
    )


async def shutdown(running: Running, grace_s: float) -> None:
    """Stop taking calls, let in-flight ones finish within ``grace_s``, then stop.

    In this order: health answers NOT_SERVING (load balancers stop sending); every new
    reroute.v1 call answers UNAVAILABLE (reason SERVER_SHUTTING_DOWN) at once, and open
    streams end so, a request being routed answered first; plan jobs not finished end FAILED
    with the retryable UNAVAILABLE (PLAN_JOB_INTERRUPTED: submit again), their watchers told;
    then, once no call has come for ``QUIET_S`` (half the grace at most: callers told
    UNAVAILABLE go elsewhere or back off), grpc stops, giving the calls in flight ``grace_s``
    to finish."""
    await running.health.enter_graceful_shutdown()
    if running.edge is not None:
        running.edge.drain()
    if running.plans is not None:
        await running.plans.close()
        log.info("plan jobs stopped")
    if running.edge is not None:
        running.edge.close_streams()
        await running.edge.quiet(QUIET_S, within_s=grace_s / 2)
    await running.server.stop(grace_s)
    log.info("stopped")


async def _start_http(running: Running, config: ServerConfig) -> HttpServer:
    """The HTTP edge (Connect, gRPC-Web) beside the gRPC server, sharing its edge (imported
    here: a server without --http-port never loads the HTTP stack)."""
    from routing.rpc.http import start_http

    assert running.edge is not None
    try:
        http = await start_http(
            running.edge,
            *running.servicers,
            host=config.host,
            port=config.http_port or 0,
            certfile=str(config.tls_cert) if config.tls_cert else None,
            keyfile=str(config.tls_key) if config.tls_key else None,
            grace_s=config.grace_s,
            max_message_bytes=config.max_message_bytes,
        )
    except OSError as exc:
        await running.server.stop(0)
        raise ServerConfigError(f"--http-port {config.http_port}: {exc.strerror}") from exc
    scheme = "https" if config.tls_cert else "http"
    where = bound_address(config.host, http.port)
    print(f"reroute: Connect/gRPC-Web on {scheme}://{where}", flush=True)
    return http


def bound_address(host: str, port: int) -> str:
    """``host:port`` as bound: the address given (0.0.0.0 or [::] when that is all addresses,
    never a loopback address it is not), IPv6 in brackets; an empty host is grpc's [::]."""
    if not host:
        host = "[::]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def print_start(config: ServerConfig, running: Running, key_file: Path | None) -> None:
    """The start-up lines: the database, a key written at this start, metrics, the address."""
    if running.engine is not None:
        print(f"reroute: database {redacted(str(running.engine.url))}", flush=True)
    if key_file is not None:
        print(
            f"reroute: created tenant 'default' and its API key in {key_file}"
            " (mode 0600; `reroute route` on this machine reads it)",
            flush=True,
        )
    if running.metrics_port is not None:
        where = bound_address(config.host, running.metrics_port)
        print(f"reroute: metrics on http://{where}/metrics", flush=True)
    print(
        f"reroute: network {running.app.network.name!r};"
        f" listening on {bound_address(config.host, running.port)}",
        flush=True,
    )


async def serve(
    config: ServerConfig,
    *,
    ready: asyncio.Event | None = None,
    on_start: Callable[[Running], None] | None = None,
) -> None:
    """Run the server until SIGTERM/SIGINT. ``on_start`` (a worker of ``reroute serve
    --workers``) is told once it listens, instead of the start-up lines being printed."""
    running = await create_server(config)
    await running.server.start()
    if not config.auth:
        log.warning("authentication is off (--auth none): every caller is tenant 'default'")
    if config.metrics_port is not None and running.metrics is not None:
        try:
            running.metrics_port = running.metrics.serve_http(
                config.metrics_port, config.host.strip("[]") or "::"
            )
        except OSError as exc:
            await running.server.stop(0)
            raise ServerConfigError(
                f"--metrics-port {config.metrics_port}: {exc.strerror}"
            ) from exc
    http = await _start_http(running, config) if config.http_port is not None else None
    if on_start is None:
        print_start(config, running, running.key_file)
    else:
        on_start(running)
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
    if http is not None:
        await http.stop()
    waiter.cancel()
    stopper.cancel()
