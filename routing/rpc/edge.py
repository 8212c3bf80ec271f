"""What every reroute.v1 call (ReturnsRouting, BatchPlanning) goes through before its
servicer: a request id, the caller's tenant (API key), the tenant's rate limit, metrics and an
access log line.

``EdgeInterceptor`` is a grpc.aio server interceptor. Health and reflection stay open (no
key, no limit). Each guarded call runs with a ``CallInfo`` in a context variable (request id,
tenant) and echoes its request id in the trailing metadata ``x-request-id`` (taken from the
call's ``x-request-id`` metadata when it is 1-128 of ``A-Za-z0-9._:-``, else generated).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import re
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, TypeVar

import grpc
from google.protobuf import descriptor_pool
from grpc_status import rpc_status

from routing.errors import InvalidInput, LimitReached, UnknownCaller
from routing.observe import CALL, CallInfo, Metrics, current_request_id
from routing.plan.jobs import DEFAULT_TENANT
from routing.rpc.auth import Authenticator, key_from_metadata
from routing.rpc.limits import Rate, RateLimiter
from routing.rpc.status import grpc_code, to_status

GUARDED_PREFIX = "/reroute.v1."
REQUEST_ID = "x-request-id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("reroute.access")

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

    def __init__(self, limits: Limits, limiter: RateLimiter | None = None) -> None:
        self.limits = limits
        self.limiter = limiter or RateLimiter()

    def take(self) -> None:
        """Take one token of the current call's tenant; LimitReached when empty."""
        info = CALL.get()
        if info is None:
            return
        rate = info.extra.get("rate")
        if not isinstance(rate, Rate):
            return
        wait_s = self.limiter.take(info.tenant, rate)
        if wait_s > 0:
            raise LimitReached(
                f"rate limit of tenant {info.tenant!r}: {rate.per_s:g}/s, burst {rate.burst}",
                retry_after_s=wait_s,
            )


def _request_id(metadata: Any) -> str:
    for name, value in metadata or ():
        if name == REQUEST_ID and isinstance(value, str) and _REQUEST_ID.fullmatch(value):
            return value
    return uuid.uuid4().hex


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

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or not method.startswith(GUARDED_PREFIX):
            return handler
        info = CallInfo(
            _request_id(handler_call_details.invocation_metadata), method.rsplit("/", 1)[-1]
        )
        deny = await self.admit(handler_call_details.invocation_metadata, info)
        return self._wrap(handler, info, deny)

    async def admit(self, metadata: Any, info: CallInfo) -> UnknownCaller | None:
        """Set ``info``'s tenant and rate from the call's API key (``metadata``: name/value
        pairs, gRPC metadata or HTTP headers); the error to answer when the key is missing or
        not valid. The HTTP edge (routing.rpc.http) admits its calls here too."""
        rate = self.guard.limits.default_rate
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
    ) -> grpc.RpcMethodHandler[Any, Any]:
        guard = self.guard
        decode = _decoder(handler.request_deserializer)

        done = functools.partial(self.observe, info)

        if handler.unary_unary is not None:
            inner_unary: Any = handler.unary_unary  # an aio servicer coroutine

            async def unary(raw: bytes, context: Context) -> Any:
                token = CALL.set(info)
                started = time.perf_counter()
                context.set_trailing_metadata(((REQUEST_ID, info.request_id),))
                try:
                    if deny is not None:
                        await abort(context, deny)
                    try:
                        guard.take()
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
            context: Context, responses: Callable[[], AsyncIterator[Any]], take: bool
        ) -> AsyncGenerator[Any, None]:
            """A streaming call's responses inside the edge; ``take``: the call itself takes a
            token (a bidirectional stream takes one per request message instead)."""
            token = CALL.set(info)
            started = time.perf_counter()
            context.set_trailing_metadata(((REQUEST_ID, info.request_id),))
            try:
                if deny is not None:
                    await abort(context, deny)
                if take:
                    try:
                        guard.take()
                    except LimitReached as exc:
                        await abort(context, exc)
                try:
                    answers = responses()
                except InvalidInput as exc:  # the request's bytes (unary-stream methods)
                    await abort(context, exc)
                async for response in answers:
                    yield response
            except asyncio.CancelledError:
                info.code = "CANCELLED"
                raise
            finally:
                done(started)
                with contextlib.suppress(ValueError):  # finalised in another context
                    CALL.reset(token)

        if handler.stream_stream is not None:
            inner_stream: Any = handler.stream_stream  # an aio async generator

            # async generator functions both: grpc.aio picks its streaming API by that
            async def decoded(requests: AsyncIterator[bytes]) -> AsyncIterator[Any]:
                async for raw in requests:
                    try:
                        yield decode(raw)
                    except InvalidInput as exc:
                        yield Undecodable(exc)

            async def stream(
                requests: AsyncIterator[bytes], context: Context
            ) -> AsyncIterator[Any]:
                calls = streamed(
                    context, lambda: inner_stream(decoded(requests), context), take=False
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
                calls = streamed(context, lambda: inner_watch(decode(raw), context), take=True)
                async with contextlib.aclosing(calls) as responses:  # closed with this one
                    async for response in responses:
                        yield response

            return grpc.unary_stream_rpc_method_handler(
                watch, request_deserializer=None, response_serializer=handler.response_serializer
            )
        return handler  # no stream-unary methods in reroute.v1
