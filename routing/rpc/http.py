"""The HTTP edge: every reroute.v1 method as Connect protocol (JSON or binary over HTTP POST)
and gRPC-Web, on a second port beside the gRPC one (``reroute serve --http-port N``).

A platform that does not speak gRPC uses curl::

    curl -X POST -H 'content-type: application/json' -H 'authorization: Bearer KEY' \\
      -d @examples/return.json http://localhost:8080/reroute.v1.ReturnsRouting/RouteReturn

The protocol is connect-python's (``connectrpc``: the Connect project's own Python runtime,
verified against the Connect conformance suite) on Hypercorn (an ASGI server that can share
this process's event loop and stops on our signal, not its own); the ASGI applications are
the ones ``protoc-gen-connect-python`` generated beside the bindings (``reroute/v1/*_connect.py``).

Nothing about a call is decided twice: the same servicer objects answer (their methods as
written, before the gRPC error wrapper), the gRPC edge's :class:`~routing.rpc.edge.EdgeInterceptor`
admits the call (API key from ``authorization: Bearer`` or ``x-api-key``, the tenant's rate
limit) and counts it (the same metrics and access log, method names as on gRPC), and
:func:`~routing.rpc.status.to_status` maps its errors: a Connect error carries the same code
and the same google.rpc details (``BadRequest`` naming the field, ``PreconditionFailure`` ...).
As on gRPC, a body that is not a valid message is INVALID_ARGUMENT answered after
authentication; a JSON body names the field it could not read (``customer_return.items.weight_g``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import re
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

from connectrpc import _codec as connect_codecs
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from google.rpc import status_pb2
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig

from reroute.v1.claims_connect import ReclaimLedgerASGIApplication
from reroute.v1.planning_connect import BatchPlanningASGIApplication
from reroute.v1.routing_connect import ReturnsRoutingASGIApplication
from routing.errors import InvalidInput
from routing.observe import CALL, CallInfo
from routing.rpc.edge import REQUEST_ID, EdgeInterceptor, Undecodable, _request_id
from routing.rpc.status import grpc_code, to_status

_STATUS_DETAILS = "grpc-status-details-bin"


@dataclass(slots=True)
class _Decoding:
    """A request body that could not be read, kept until the call is admitted (the gRPC edge
    answers malformed bytes after authentication too)."""

    error: InvalidInput | None = None
    admitted: bool = False


_DECODING: contextvars.ContextVar[_Decoding | None] = contextvars.ContextVar(
    "reroute_http_decoding", default=None
)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def json_field(message: str) -> str:
    """The field path a ``json_format.ParseError`` message is about, in proto field names
    (``customer_return.items[0].grade``); ``request`` when it names none."""
    at = re.search(r' at "?[A-Za-z0-9_]+\.([A-Za-z0-9_.\[\]]*[A-Za-z0-9_\]])', message)
    unknown = re.search(r'has no field named "([^"]+)"', message)
    if at:
        path = [_snake(p) for p in at.group(1).split(".")]
    else:
        path = [_snake(p) for p in re.findall(r"Failed to parse ([A-Za-z_]\w*) field", message)]
    if unknown:
        path.append(unknown.group(1))
    return ".".join(path) or "request"


def _bad_body(exc: InvalidInput) -> InvalidInput:
    box = _DECODING.get()
    if box is None or box.admitted:  # a stream's later message: answered where it is read
        raise _connect_error(exc)
    box.error = exc
    return exc


class _JsonCodec(connect_codecs.ProtoJSONCodec):  # type: ignore[type-arg]
    """The proto JSON mapping, its errors naming the field (connect-python's own says only
    that the JSON could not be parsed)."""

    def decode(self, data: bytes | bytearray, message: Any) -> Any:
        try:
            json_format.Parse(bytes(data), message)
        except json_format.ParseError as exc:
            # the innermost reason, without the "Failed to parse X field:" chain before it
            text = re.sub(r"^(Failed to parse \w+ field: )+", "", str(exc).split("\n", 1)[0])
            _bad_body(InvalidInput.one(json_field(str(exc)), text.rstrip(".") or "not JSON"))
        return message


class _ProtoCodec(connect_codecs.ProtoBinaryCodec):  # type: ignore[type-arg]
    def decode(self, data: bytes | bytearray, message: Any) -> Any:
        try:
            message.ParseFromString(bytes(data))
        except (DecodeError, RuntimeError, ValueError) as exc:
            name = message.DESCRIPTOR.full_name
            _bad_body(
                InvalidInput.one(
                    "request",
                    f"the bytes are not a valid {name} message ({type(exc).__name__})",
                )
            )
        return message


def _install_codecs() -> None:
    """connect-python 0.9 keeps its codecs in one registry it reads by name (no per-server
    option yet); ours replace its JSON and binary ones (the test of a malformed body fails if
    an upgrade stops reading them)."""
    json_codec, proto_codec = _JsonCodec(), _ProtoCodec()
    registry: dict[str, Any] = connect_codecs._codecs
    for name in list(registry):
        registry[name] = json_codec if name.startswith("json") else proto_codec


def _connect_code(status: status_pb2.Status) -> Code:
    name = grpc_code(status).name
    return Code.CANCELED if name == "CANCELLED" else Code[name]


def _connect_error(exc: BaseException) -> ConnectError:
    """The Connect error of a domain error: the gRPC status it maps to, details and all."""
    if isinstance(exc, ConnectError):
        return exc
    status = exc.status if isinstance(exc, _Aborted) else to_status(exc)
    info = CALL.get()
    if info is not None:
        info.code = grpc_code(status).name
    return ConnectError(_connect_code(status), status.message, details=list(status.details))


class _Aborted(Exception):
    """A servicer ended the call itself (``edge.abort``): the status it gave."""

    def __init__(self, status: status_pb2.Status) -> None:
        super().__init__(status.message)
        self.status = status


class _Context:
    """What the servicers use of a grpc.aio context, for a Connect call."""

    def __init__(self, ctx: RequestContext[Any, Any]) -> None:
        self._ctx = ctx

    def time_remaining(self) -> float | None:
        ms = self._ctx.timeout_ms()
        return None if ms is None else ms / 1000.0

    def set_trailing_metadata(self, metadata: Sequence[tuple[str, str]]) -> None:
        return None

    async def abort(
        self, code: Any, details: str = "", trailing_metadata: Sequence[tuple[str, Any]] = ()
    ) -> NoReturn:
        status = status_pb2.Status(code=code.value[0], message=details)
        for name, value in trailing_metadata:
            if name == _STATUS_DETAILS and isinstance(value, bytes):
                status = status_pb2.Status.FromString(value)
        raise _Aborted(status)


def _method_names(app: Any) -> dict[str, str]:
    """snake_case attribute -> RPC name, read from the generated application's endpoints."""
    names: dict[str, str] = {}

    class Probe:
        def __getattr__(self, attr: str) -> str:
            return attr

    for endpoint in app._endpoints(Probe()).values():
        names[endpoint.function] = endpoint.method.name
    return names


class _Service:
    """A Connect service object whose snake_case methods call a gRPC servicer's methods inside
    the shared edge."""

    def __init__(self, servicer: object, edge: EdgeInterceptor, names: Mapping[str, str]) -> None:
        self._servicer = servicer
        self._edge = edge
        for attr, rpc in names.items():
            method = getattr(type(servicer), rpc)
            raw = getattr(method, "__wrapped__", method)  # before the gRPC error wrapper
            setattr(self, attr, self._bind(rpc, raw))

    def _bind(self, rpc: str, raw: Callable[..., Any]) -> Callable[..., Any]:
        servicer, edge = self._servicer, self._edge
        streams = raw.__code__.co_flags & 0x200  # CO_ASYNC_GENERATOR

        def start(ctx: RequestContext[Any, Any]) -> CallInfo:
            info = CallInfo(_request_id(list(ctx.request_headers().items())), rpc)
            ctx.response_headers()[REQUEST_ID] = info.request_id
            return info

        async def admit(ctx: RequestContext[Any, Any], info: CallInfo, take: bool = True) -> None:
            """Authenticate, then take a rate-limit token (``take``: a bidirectional stream
            takes one per request message instead, in its servicer, as on gRPC)."""
            headers = list(ctx.request_headers().items())
            deny = await edge.admit(headers, info)
            if deny is not None:
                raise deny
            if take:
                await edge.guard.take()
            box = _DECODING.get()
            if box is not None:
                box.admitted = True
                if box.error is not None:
                    raise box.error

        if not streams:

            async def unary(request: Any, ctx: RequestContext[Any, Any]) -> Any:
                started = time.perf_counter()
                info = start(ctx)
                token = CALL.set(info)
                try:
                    await admit(ctx, info)
                    return await raw(servicer, request, _Context(ctx))
                except asyncio.CancelledError:
                    info.code = "CANCELLED"
                    raise
                except Exception as exc:
                    raise _connect_error(exc) from None
                finally:
                    edge.observe(info, started)
                    CALL.reset(token)

            return unary

        async def stream(request: Any, ctx: RequestContext[Any, Any]) -> AsyncIterator[Any]:
            started = time.perf_counter()
            info = start(ctx)
            CALL.set(info)  # this generator's own context: never reset elsewhere
            try:
                await admit(ctx, info, take=isinstance(request, Message))
                if isinstance(request, Message):
                    answers = raw(servicer, request, _Context(ctx))
                else:  # RouteReturns: a bad message answers its own error, the stream goes on
                    answers = raw(servicer, _tolerant(request), _Context(ctx))
                async with contextlib.aclosing(answers) as responses:
                    async for answer in responses:
                        yield answer
            except asyncio.CancelledError:
                info.code = "CANCELLED"
                raise
            except Exception as exc:
                raise _connect_error(exc) from None
            finally:
                edge.observe(info, started)

        return stream


async def _tolerant(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    while True:
        try:
            request = await anext(requests)
        except StopAsyncIteration:
            return
        except ConnectError as exc:
            if exc.code is not Code.INVALID_ARGUMENT:
                raise
            yield Undecodable(InvalidInput.one("request", exc.message))
            continue
        yield request


class HttpEdge:
    """The ASGI application: each service's generated Connect application, by path."""

    def __init__(
        self,
        edge: EdgeInterceptor,
        routing_servicer: object,
        planning_servicer: object,
        ledger_servicer: object | None = None,
    ) -> None:
        _install_codecs()
        self.apps: dict[str, Any] = {}
        services: list[tuple[Any, object]] = [
            (ReturnsRoutingASGIApplication, routing_servicer),
            (BatchPlanningASGIApplication, planning_servicer),
        ]
        if ledger_servicer is not None:  # a server with its own database: the reclaim ledger
            services.append((ReclaimLedgerASGIApplication, ledger_servicer))
        for cls, servicer in services:
            names = _method_names(cls(service=cast(Any, None)))
            app = cls(service=cast(Any, _Service(servicer, edge, names)))
            self.apps[app.path] = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        prefix = scope.get("path", "").rsplit("/", 1)[0]
        app = self.apps.get(prefix)
        if app is None or scope["type"] != "http":
            await _not_found(send)
            return
        token = _DECODING.set(_Decoding())
        try:
            await app(scope, receive, send)
        finally:
            _DECODING.reset(token)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _not_found(send: Any) -> None:
    body = (
        b'{"code":"unimplemented","message":"no such method: POST /reroute.v1.<Service>/<Method>"}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class HttpServer:
    """A running HTTP edge; ``stop()`` ends it (in-flight calls get ``grace_s``)."""

    port: int
    _stop: asyncio.Event = field(repr=False)
    _task: asyncio.Task[None] = field(repr=False)

    async def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def start_http(
    edge: EdgeInterceptor,
    routing_servicer: object,
    planning_servicer: object,
    ledger_servicer: object | None = None,
    *,
    host: str,
    port: int,
    certfile: str | None = None,
    keyfile: str | None = None,
    grace_s: float = 5.0,
    max_message_bytes: int = 4 * 1024 * 1024,
) -> HttpServer:
    """Serve the HTTP edge on ``host:port`` (0 = any free port) on the running loop; TLS when
    given a certificate and key (the gRPC port's)."""
    config = HypercornConfig()
    # bound and listening here, so port 0 is known and no call is refused while Hypercorn
    # starts; Hypercorn takes the socket over by its descriptor
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    bound = int(sock.getsockname()[1])
    config.bind = [f"fd://{sock.detach()}"]
    config.certfile = certfile
    config.keyfile = keyfile
    config.graceful_timeout = grace_s
    config.h11_max_incomplete_size = 64 * 1024
    config.accesslog = None
    config.errorlog = None
    app = HttpEdge(edge, routing_servicer, planning_servicer, ledger_servicer)
    for connect_app in app.apps.values():
        connect_app._read_max_bytes = max_message_bytes
    stop = asyncio.Event()
    task = asyncio.ensure_future(
        hypercorn_serve(app, config, shutdown_trigger=stop.wait, mode="asgi")
    )
    return HttpServer(bound, stop, task)
