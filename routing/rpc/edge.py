"""What every reroute.v1 call (ReturnsRouting, BatchPlanning) goes through before its
servicer: a request id, the caller's tenant (API key), the tenant's rate limit, metrics and an
access log line.

``EdgeInterceptor`` is a grpc.aio server interceptor. Health and reflection stay open (no
key, no limit). Each guarded call runs with a ``CallInfo`` in a context variable (request id,
trace id, tenant, key id, peer: every log line of the call carries them) and echoes its
request id in the trailing metadata ``x-request-id`` (taken from the call's ``x-request-id``
metadata when it is 1-128 of ``A-Za-z0-9._:-``, else generated). The trace id is the one of
the call's W3C ``traceparent`` metadata (read by OpenTelemetry's propagator) when valid, else
a new random one.

Streams that stay open (RouteReturns, WatchPlan) are ended by the edge, never cut: when their
API key is revoked (looked up again every key cache time, 0.25 s at least, with
``Authenticator.revalidate``: the stream ends UNAUTHENTICATED) and when the server drains for
shutdown (``drain``: every new call answers UNAVAILABLE at once, and open streams end
UNAVAILABLE). A stream is ended at once
while it waits (for a request message, for a job update); a request being routed is answered
first, so a decision stored is always one its caller receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, TypeVar

import grpc
from google.protobuf import descriptor_pool
from grpc_status import rpc_status
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from routing.errors import InvalidInput, LimitReached, TemporarilyUnavailable, UnknownCaller
from routing.observe import CALL, CallInfo, Metrics, current_request_id
from routing.plan.jobs import DEFAULT_TENANT
from routing.rpc.auth import Authenticator, key_from_metadata
from routing.rpc.limits import Limiter, Rate, RateLimiter
from routing.rpc.status import grpc_code, to_status

GUARDED_PREFIX = "/reroute.v1."
HEALTH_PREFIX = "/grpc.health.v1.Health/"
SHUTTING_DOWN = "SERVER_SHUTTING_DOWN"  # google.rpc.ErrorInfo reason while draining
MIN_RECHECK_S = 0.25  # open streams' keys are looked up again at most this often
REQUEST_ID = "x-request-id"
TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("reroute.access")
log = logging.getLogger("reroute.edge")

Context = grpc.aio.ServicerContext[Any, Any]


async def abort(context: Context, exc: BaseException) -> NoReturn:
    """End the call with the status ``exc`` maps to (google.rpc details included) and the
    call's request id in the trailing metadata."""
    status = to_status(exc)
    info = CALL.get()
    if info is not None:
        info.code = grpc_code(status).name
    st = rpc_status.to_status(status)
    await context.abort(
        st.code, st.details, (*st.trailing_metadata, (REQUEST_ID, current_request_id()))
    )
    raise AssertionError("unreachable: abort raises")


def current_tenant() -> str:
    """The tenant of the call being served (tenant ``default`` without authentication)."""
    info = CALL.get()
    return info.tenant if info is not None and info.tenant else DEFAULT_TENANT


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A stream's request message whose bytes could not be read: the servicer answers it with
    ``error`` (and an empty correlation id, which the bytes did not give) and goes on."""

    error: InvalidInput
    correlation_id: str = ""


@functools.cache  # one per method: the interceptor wraps each call's handler anew
def _decoder(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any]:
    """Read a request's bytes as the method's message; InvalidInput (field ``request``) when
    they are not one. Decoding happens here, inside the edge, so malformed bytes are answered
    INVALID_ARGUMENT after authentication and the rate limit, logged and counted like every
    call (grpc's own deserializer would answer UNKNOWN before any of it)."""
    if deserializer is None:
        return lambda raw: raw
    message = getattr(getattr(deserializer, "__self__", None), "DESCRIPTOR", None)
    name = message.full_name if message is not None else "request"

    def decode(raw: bytes) -> Any:
        try:
            return deserializer(raw)
        except Exception as exc:  # any failure to parse outside bytes is the caller's
            raise InvalidInput.one(
                "request", f"the bytes are not a valid {name} message ({type(exc).__name__})"
            ) from None

    return decode


Handler = Callable[..., Any]


def _answers_errors(method: Handler) -> Handler:
    """``method`` (a unary or a server-streaming handler) with every error it raises answered
    as the status :func:`to_status` maps it to: google.rpc details, never UNKNOWN, and INTERNAL
    without internals for what is not a :class:`routing.errors.RerouteError`."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def streaming(self: object, request: Any, context: Context) -> AsyncIterator[Any]:
            try:
                async for answer in method(self, request, context):
                    yield answer
            except grpc.aio.AbortError:  # the handler ended the call itself
                raise
            except Exception as exc:
                await abort(context, exc)

        return streaming

    @functools.wraps(method)
    async def unary(self: object, request: Any, context: Context) -> Any:
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            await abort(context, exc)

    return unary


S = TypeVar("S", bound=type)


def answers_errors(service: str) -> Callable[[S], S]:
    """Class decorator of a servicer: every method of the proto service ``service`` (its full
    name) is wrapped by :func:`_answers_errors`, the one place a handler's error becomes a
    status. A servicer with a method missing fails at import, not at the first call."""

    def wrap(cls: S) -> S:
        for m in descriptor_pool.Default().FindServiceByName(service).methods:
            setattr(cls, m.name, _answers_errors(getattr(cls, m.name)))
        return cls

    return wrap


@dataclass(frozen=True, slots=True)
class Limits:
    default_rate: Rate | None  # None: no rate limit unless the tenant has its own
    max_stream_requests: int  # requests one RouteReturns call may send


class Guard:
    """The per-tenant rate limit, applied by the interceptor (unary calls) and by the stream
    servicer (each item)."""

    def __init__(self, limits: Limits, limiter: Limiter | None = None) -> None:
        self.limits = limits
        self.limiter: Limiter = limiter or RateLimiter()

    async def take(self) -> None:
        """Take one token of the current call's tenant; LimitReached when empty."""
        info = CALL.get()
        if info is None:
            return
        rate = info.extra.get("rate")
        if not isinstance(rate, Rate):
            return
        wait_s = self.limiter.take(info.tenant, rate)
        if wait_s is None:  # a shared bucket, this process's lease spent
            wait_s = await self.limiter.refill(info.tenant, rate)
        if wait_s > 0:
            raise LimitReached(
                f"rate limit of tenant {info.tenant!r}: {rate.per_s:g}/s, burst {rate.burst}",
                retry_after_s=wait_s,
            )


def _trace_id(metadata: Any) -> str:
    """The trace id of the call's W3C ``traceparent`` when valid, else a new one."""
    for name, value in metadata or ():
        if name == TRACEPARENT and isinstance(value, str):
            span = trace.get_current_span(_PROPAGATOR.extract({TRACEPARENT: value}))
            context = span.get_span_context()
            if context.is_valid:
                return trace.format_trace_id(context.trace_id)
            break
    return os.urandom(16).hex()


def _request_id(metadata: Any) -> str:
    for name, value in metadata or ():
        if name == REQUEST_ID and isinstance(value, str) and _REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


def shutting_down() -> TemporarilyUnavailable:
    return TemporarilyUnavailable(
        "the server is shutting down: send the call again (another replica, or this one"
        " once restarted)",
        reason=SHUTTING_DOWN,
    )


class _Stream:
    """One open streaming call, as the edge ends it: ``stop(reason)`` ends it with ``reason``
    at once when it is ``idle`` (waiting: safe to cancel), else at its next message."""

    __slots__ = ("idle", "key", "reason", "server_stream", "stopped", "task")

    def __init__(self, key: str | None, *, server_stream: bool) -> None:
        self.key = key
        self.server_stream = server_stream  # responses only (WatchPlan); else bidirectional
        self.task = asyncio.current_task()
        self.idle = False
        self.reason: BaseException | None = None
        self.stopped = False  # its task was cancelled by stop()

    def stop(self, reason: BaseException) -> None:
        if self.reason is not None:
            return
        self.reason = reason
        if self.idle and self.task is not None:
            self.stopped = True
            self.task.cancel()

    def check(self) -> None:
        """Raise the reason it was stopped for, at a message boundary."""
        if self.reason is not None:
            raise self.reason


def _decoded_here(handler: grpc.RpcMethodHandler[Any, Any]) -> grpc.RpcMethodHandler[Any, Any]:
    """An open service's handler (health: no key, no limit) whose request bytes are read by
    the edge: bytes that are not its message answer INVALID_ARGUMENT, not grpc's UNKNOWN."""
    decode = _decoder(handler.request_deserializer)
    serializer = handler.response_serializer
    if handler.unary_unary is not None:
        inner: Any = handler.unary_unary

        async def unary(raw: bytes, context: Context) -> Any:
            try:
                request = decode(raw)
            except InvalidInput as exc:
                await abort(context, exc)
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(unary, response_serializer=serializer)
    if handler.unary_stream is not None and not inspect.isasyncgenfunction(
        handler.unary_stream
    ):  # health Watch writes its answers with context.write
        inner_watch: Any = handler.unary_stream

        async def watch(raw: bytes, context: Context) -> None:
            try:
                request = decode(raw)
            except InvalidInput as exc:
                await abort(context, exc)
            await inner_watch(request, context)

        return grpc.unary_stream_rpc_method_handler(watch, response_serializer=serializer)
    return handler


if TYPE_CHECKING:  # grpc-stubs makes it generic; at run time it is not subscriptable
    _Interceptor: TypeAlias = grpc.aio.ServerInterceptor[Any, Any]
else:
    _Interceptor = grpc.aio.ServerInterceptor


class EdgeInterceptor(_Interceptor):
    def __init__(
        self,
        authenticator: Authenticator | None,
        guard: Guard,
        metrics: Metrics,
        *,
        default_tenant: str,
    ) -> None:
        self.auth = authenticator
        self.guard = guard
        self.metrics = metrics
        self.default_tenant = default_tenant
        self.draining = False
        self.last_call = 0.0  # time.monotonic() of the latest guarded call
        self._streams: set[_Stream] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def drain(self) -> None:
        """Shutting down: every new call answers UNAVAILABLE (reason SERVER_SHUTTING_DOWN),
        and every open RouteReturns stream ends so (a request being routed is answered
        first). Server streams (WatchPlan) are left to end with their job (the server fails
        unfinished jobs as interrupted); :meth:`close_streams` ends those still open."""
        self.draining = True
        for stream in list(self._streams):
            if not stream.server_stream:
                stream.stop(shutting_down())
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    async def quiet(self, quiet_s: float, within_s: float) -> None:
        """Wait (``within_s`` at most) until no call has come for ``quiet_s``: the callers
        told UNAVAILABLE have gone elsewhere. grpc, when it stops, cancels the calls it has
        received but not yet handed over (the caller sees CANCELLED, not UNAVAILABLE): it
        should stop while none come."""
        give_up = time.monotonic() + within_s
        while True:
            now = time.monotonic()
            gap = now - self.last_call
            if gap >= quiet_s or now >= give_up:
                return
            await asyncio.sleep(min(quiet_s - gap, give_up - now))

    def close_streams(self) -> None:
        """End every stream still open UNAVAILABLE (reason SERVER_SHUTTING_DOWN)."""
        self.drain()
        for stream in list(self._streams):
            stream.stop(shutting_down())

    def _opened(self, stream: _Stream) -> None:
        self._streams.add(stream)
        if self.draining:  # opened before the drain, started after it
            stream.stop(shutting_down())
        elif (
            stream.key and self.auth is not None and (self._sweeper is None or self._sweeper.done())
        ):
            every_s = max(self.auth.cache_s, MIN_RECHECK_S)
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep(self.auth, every_s))

    def _closed(self, stream: _Stream) -> None:
        self._streams.discard(stream)
        if self._sweeper is not None and not any(s.key for s in self._streams):
            self._sweeper.cancel()  # no key to look up: a new stream starts another
            self._sweeper = None

    async def _sweep(self, auth: Authenticator, every_s: float) -> None:
        """While authenticated streams are open: every ``every_s`` look their keys up in the
        database again, and end the streams of a key no longer valid UNAUTHENTICATED."""
        loop = asyncio.get_running_loop()
        while any(s.key for s in self._streams):
            await asyncio.sleep(every_s)
            for key in {s.key for s in self._streams if s.key}:
                try:
                    caller = await loop.run_in_executor(None, auth.revalidate, key)
                except Exception:  # the database did not answer: look again next time
                    log.warning("API key check of open streams failed", exc_info=True)
                    continue
                if caller is None:
                    for stream in [s for s in self._streams if s.key == key]:
                        stream.stop(UnknownCaller("API key revoked while the stream was open"))

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is not None and method.startswith(HEALTH_PREFIX):
            return _decoded_here(handler)  # open to all, but its bytes read here too
        if handler is None or not method.startswith(GUARDED_PREFIX):
            return handler
        metadata = handler_call_details.invocation_metadata
        info = CallInfo(
            _request_id(metadata), method.rsplit("/", 1)[-1], trace_id=_trace_id(metadata)
        )
        self.last_call = time.monotonic()
        if self.draining:
            return self._wrap(handler, info, shutting_down(), None)
        deny = await self.admit(metadata, info)
        key = info.extra.pop("key", None)
        return self._wrap(handler, info, deny, key if isinstance(key, str) else None)

    async def admit(self, metadata: Any, info: CallInfo) -> UnknownCaller | None:
        """Set ``info``'s tenant, key id and rate from the call's API key (``metadata``:
        name/value pairs, gRPC metadata or HTTP headers); the error to answer when the key is
        missing or not valid. The key itself goes in ``info.extra["key"]`` (open streams look
        it up again). The HTTP edge (routing.rpc.http) admits its calls here too."""
        rate = self.guard.limits.default_rate
        key = None
        if self.auth is None:
            info.tenant = self.default_tenant
        else:
            key = key_from_metadata(metadata)
            # a key seen within the cache time answers here; only a miss goes to the database,
            # in a thread (a hop per call would cost every RouteReturn a thread round trip)
            caller = self.auth.cached(key) if key else None
            if key and caller is None:
                caller = await asyncio.get_running_loop().run_in_executor(
                    None, self.auth.authenticate, key
                )
            if caller is None:
                why = "no API key" if not key else "API key not valid (unknown or revoked)"
                return UnknownCaller(
                    f"{why}: send `authorization: Bearer <key>` or `x-api-key: <key>`"
                )
            info.tenant = caller.tenant
            info.key_id = caller.key_id
            info.extra["key"] = key
            if caller.rate_per_s is not None:
                rate = Rate(caller.rate_per_s, caller.burst or max(1, int(caller.rate_per_s)))
        if rate is not None:
            info.extra["rate"] = rate
        return None

    def observe(self, info: CallInfo, started: float) -> None:
        """Count a finished call (metrics) and log its access line."""
        seconds = time.perf_counter() - started
        self.metrics.observe_call(info.method, info.code, seconds)
        access_log.info(
            "%s %s",
            info.method,
            info.code,
            extra={
                "fields": {"method": info.method, "code": info.code, "ms": round(seconds * 1e3, 3)}
            },
        )

    def _wrap(
        self,
        handler: grpc.RpcMethodHandler[Any, Any],
        info: CallInfo,
        deny: BaseException | None,
        key: str | None,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        guard = self.guard
        decode = _decoder(handler.request_deserializer)

        done = functools.partial(self.observe, info)

        if handler.unary_unary is not None:
            inner_unary: Any = handler.unary_unary  # an aio servicer coroutine

            async def unary(raw: bytes, context: Context) -> Any:
                token = CALL.set(info)
                info.peer = context.peer()
                started = time.perf_counter()
                context.set_trailing_metadata(((REQUEST_ID, info.request_id),))
                try:
                    if deny is not None:
                        await abort(context, deny)
                    try:
                        await guard.take()
                    except LimitReached as exc:
                        await abort(context, exc)
                    try:
                        request = decode(raw)
                    except InvalidInput as exc:
                        await abort(context, exc)
                    return await inner_unary(request, context)
                except asyncio.CancelledError:
                    info.code = "CANCELLED"
                    raise
                finally:
                    done(started)
                    CALL.reset(token)

            return grpc.unary_unary_rpc_method_handler(
                unary, request_deserializer=None, response_serializer=handler.response_serializer
            )

        async def streamed(
            context: Context,
            responses: Callable[[_Stream], AsyncIterator[Any]],
            take: bool,
        ) -> AsyncGenerator[Any, None]:
            """A streaming call's responses inside the edge; ``take``: the call itself takes a
            token (a bidirectional stream takes one per request message instead, and is idle
            only while it waits for one; a server stream is idle while it waits for an
            answer)."""
            token = CALL.set(info)
            info.peer = context.peer()
            started = time.perf_counter()
            context.set_trailing_metadata(((REQUEST_ID, info.request_id),))
            stream = _Stream(key, server_stream=take)
            try:
                if deny is not None:
                    await abort(context, deny)
                if take:
                    try:
                        await guard.take()
                    except LimitReached as exc:
                        await abort(context, exc)
                try:
                    answers = responses(stream)
                except InvalidInput as exc:  # the request's bytes (unary-stream methods)
                    await abort(context, exc)
                self._opened(stream)
                while True:
                    stream.check()
                    stream.idle = take
                    try:
                        response = await anext(answers)
                    except StopAsyncIteration:
                        break
                    finally:
                        stream.idle = False
                    yield response
            except asyncio.CancelledError:
                if not stream.stopped or stream.reason is None:
                    info.code = "CANCELLED"
                    raise
                # ended by the edge (revoked key, shutdown): answered with its reason
                if stream.task is not None:
                    stream.task.uncancel()
                await abort(context, stream.reason)
            except Exception as exc:  # stream.check(): the reason it was stopped for
                if exc is not stream.reason:
                    raise
                await abort(context, exc)
            finally:
                self._closed(stream)
                done(started)
                with contextlib.suppress(ValueError):  # finalised in another context
                    CALL.reset(token)

        if handler.stream_stream is not None:
            inner_stream: Any = handler.stream_stream  # an aio async generator

            # async generator functions both: grpc.aio picks its streaming API by that
            async def decoded(
                requests: AsyncIterator[bytes], stream: _Stream
            ) -> AsyncIterator[Any]:
                while True:
                    stream.check()  # between messages: a stream stopped ends here
                    stream.idle = True
                    try:
                        raw = await anext(requests)
                    except StopAsyncIteration:
                        return
                    finally:
                        stream.idle = False
                    stream.check()  # stopped meanwhile: this request is not routed
                    try:
                        yield decode(raw)
                    except InvalidInput as exc:
                        yield Undecodable(exc)

            async def stream(
                requests: AsyncIterator[bytes], context: Context
            ) -> AsyncIterator[Any]:
                calls = streamed(
                    context,
                    lambda s: inner_stream(decoded(requests, s), context),
                    take=False,
                )
                async with contextlib.aclosing(calls) as responses:  # closed with this one
                    async for response in responses:
                        yield response

            return grpc.stream_stream_rpc_method_handler(
                stream, request_deserializer=None, response_serializer=handler.response_serializer
            )
        if handler.unary_stream is not None:  # BatchPlanning.WatchPlan
            inner_watch: Any = handler.unary_stream  # an aio async generator

            async def watch(raw: bytes, context: Context) -> AsyncIterator[Any]:
                calls = streamed(context, lambda _: inner_watch(decode(raw), context), take=True)
                async with contextlib.aclosing(calls) as responses:  # closed with this one
                    async for response in responses:
                        yield response

            return grpc.unary_stream_rpc_method_handler(
                watch, request_deserializer=None, response_serializer=handler.response_serializer
            )
        return handler  # no stream-unary methods in reroute.v1
