"""Wire-level fuzzing of every method and stream of every service a `reroute serve` offers
(reroute.v1 ReturnsRouting and BatchPlanning, grpc.health.v1 Health): the request bytes
themselves, not messages. Shared by tests/routing/rpc/test_wire_fuzz.py (a short seeded run)
and ``python -m benchmarks.reliability.wire_fuzz`` (the long run).

Each call's bytes are one of: random bytes; a valid request cut short; a valid request with a
field's wire type changed (and invalid wire types 6/7, stray group ends); invalid UTF-8 in a
string field (top level and nested); extreme varints (10-byte, 64-bit extremes, over-long
ones, lengths past the end); a message of random field values read off its descriptor
(extreme integers, NaN and infinities, unknown enum numbers); forged page tokens. The
contract checked per answer (:func:`problem`): never UNKNOWN or INTERNAL; INVALID_ARGUMENT
carries a google.rpc.BadRequest naming a field; on RouteReturns every request message gets
its own answer (a decision, or an error status, BadRequest again when INVALID_ARGUMENT).
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from grpc_status import rpc_status

from reroute.v1 import claims_pb2, planning_pb2, routing_pb2
from tests.routing.rpc.test_server import quote_request, sample_request
from tests.rpc_fuzz import _bad_request_problem, _code

SERVICES = (
    "reroute.v1.ReturnsRouting",
    "reroute.v1.BatchPlanning",
    claims_pb2.DESCRIPTOR.services_by_name["ReclaimLedger"].full_name,
    "grpc.health.v1.Health",
)
FORBIDDEN = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL}
_U64 = (1 << 64) - 1
Metadata = tuple[tuple[str, str | bytes], ...]


@dataclass(frozen=True, slots=True)
class Method:
    path: str  # /package.Service/Method
    request: type[Message]
    client_streaming: bool
    server_streaming: bool


def methods() -> list[Method]:
    """Every method of :data:`SERVICES`, from the descriptor pool."""
    pool = descriptor_pool.Default()
    found = []
    for name in SERVICES:
        for m in pool.FindServiceByName(name).methods:
            found.append(
                Method(
                    f"/{name}/{m.name}",
                    message_factory.GetMessageClass(m.input_type),
                    m.client_streaming,
                    m.server_streaming,
                )
            )
    return found


# -- bytes on the wire ------------------------------------------------------------------------


def varint(n: int) -> bytes:
    n &= _U64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(number: int, wire_type: int) -> bytes:
    return varint((number << 3) | wire_type)


def length_delimited(number: int, payload: bytes) -> bytes:
    return key(number, 2) + varint(len(payload)) + payload


_INVALID_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"abc\x80")


def _string_fields(desc: Any) -> list[Any]:
    return [f for f in desc.fields if f.type == FieldDescriptor.TYPE_STRING]


def _message_fields(desc: Any) -> list[Any]:
    return [f for f in desc.fields if f.type == FieldDescriptor.TYPE_MESSAGE]


def invalid_utf8(rng: random.Random, desc: Any, depth: int = 0) -> bytes:
    """A message (of ``desc``) whose string field, here or in a nested message, is not
    UTF-8."""
    nested = _message_fields(desc)
    strings = _string_fields(desc)
    if nested and (not strings or (depth < 3 and rng.random() < 0.5)):
        f = rng.choice(nested)
        return length_delimited(f.number, invalid_utf8(rng, f.message_type, depth + 1))
    if not strings:
        return length_delimited(1, rng.choice(_INVALID_UTF8))  # an unknown field: parses
    f = rng.choice(strings)
    return length_delimited(f.number, rng.choice(_INVALID_UTF8))


def extreme_varints(rng: random.Random, desc: Any) -> bytes:
    """A field with a varint at the edge: 64-bit extremes, 10 bytes, over-long (11+ bytes,
    invalid), or a length that runs past the end of the message."""
    numbers = [f.number for f in desc.fields] or [1]
    number = rng.choice(numbers)
    kind = rng.randrange(5)
    if kind == 0:
        value = rng.choice([0, 1, _U64, 1 << 63, (1 << 63) - 1, 1 << 31, (1 << 31) - 1, 1 << 32])
        return key(number, 0) + varint(value)
    if kind == 1:  # over-long: more continuation bytes than a varint may have
        return key(number, 0) + b"\xff" * rng.randint(10, 20) + b"\x01"
    if kind == 2:  # a length past the end
        return key(number, 2) + varint(rng.choice([1 << 31, _U64, 1000])) + b"x"
    if kind == 3:  # a field number out of range or zero
        return varint(rng.choice([0, (1 << 29) << 3, _U64])) + b"\x00"
    return key(number, rng.choice([1, 5])) + rng.randbytes(rng.choice([8, 4]))


def bad_wire_type(rng: random.Random, valid: bytes, desc: Any) -> bytes:
    """``valid`` with a field of the wrong wire type added, or one that does not exist."""
    numbers = [f.number for f in desc.fields] or [1]
    number = rng.choice(numbers)
    wire_type = rng.choice([0, 1, 2, 3, 4, 5, 6, 7])
    payload = {
        0: varint(rng.getrandbits(64)),
        1: rng.randbytes(8),
        2: varint(3) + b"abc",
        3: b"",  # a group start with no end
        4: b"",  # a group end with no start
        5: rng.randbytes(4),
        6: b"\x00",
        7: b"\x00",
    }[wire_type]
    where = rng.choice([0, len(valid)])
    return valid[:where] + key(number, wire_type) + payload + valid[where:]


def random_message(rng: random.Random, cls: type[Message], depth: int = 0) -> Message:
    """A message of random field values, read off its descriptor: extreme integers, NaN and
    infinities, unknown enum numbers, long and non-ASCII text."""
    msg: Any = cls()
    fields: Any = cls.DESCRIPTOR.fields
    for f in fields:
        if rng.random() < 0.5:
            continue
        repeated = f.label == FieldDescriptor.LABEL_REPEATED
        for _ in range(rng.randint(0, 3) if repeated else 1):
            if f.type == FieldDescriptor.TYPE_MESSAGE:
                if depth >= 4:
                    continue
                sub = random_message(
                    rng, message_factory.GetMessageClass(f.message_type), depth + 1
                )
                if f.message_type.GetOptions().map_entry:
                    continue  # maps: not in reroute.v1's requests
                if repeated:
                    getattr(msg, f.name).add().CopyFrom(sub)
                else:
                    getattr(msg, f.name).CopyFrom(sub)
                continue
            value = _scalar(rng, f)
            if value is None:
                continue
            if repeated:
                getattr(msg, f.name).append(value)
            else:
                setattr(msg, f.name, value)
    made: Message = msg
    return made


def _scalar(rng: random.Random, f: Any) -> object:
    t = f.type
    if t in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return rng.choice([0.0, -0.0, 1e308, -1e308, float("nan"), float("inf"), -1.5, 3e-320])
    if t == FieldDescriptor.TYPE_BOOL:
        return rng.random() < 0.5
    if t == FieldDescriptor.TYPE_STRING:
        return rng.choice(
            ["", "x" * rng.randint(1, 3000), "DE", "GB", "\u0000", "é☃\U0001f600", "-1", " "]
        )
    if t == FieldDescriptor.TYPE_BYTES:
        return rng.randbytes(rng.randint(0, 40))
    if t == FieldDescriptor.TYPE_ENUM:
        return rng.choice([0, 1, 2, 3, 99, -1, (1 << 31) - 1])
    bits = 32 if t in _INT32_TYPES else 64
    signed = t not in (
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_FIXED64,
    )
    if signed:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    else:
        lo, hi = 0, (1 << bits) - 1
    return rng.choice([lo, hi, 0, 1, -1 if signed else 2, rng.randint(lo, hi)])


_INT32_TYPES = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_SFIXED32,
}


def forged_token(rng: random.Random) -> str:
    """A page token this server never issued: its own form with odd numbers, or junk."""
    number = rng.choice(
        [str(1 << 63), str(_U64 + 1), "-1", "0", "9" * 40, "1e9", " 5", "0x10", "٣"]
    )
    prefix = rng.choice(["d1:", "d0:", "", "d1:d1:"])
    raw = (prefix + number).encode()
    return rng.choice(
        [
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
            base64.b64encode(raw).decode(),
            number,
            "".join(rng.choice("AZaz09-_=+/%") for _ in range(rng.randint(1, 120))),
        ]
    )


# -- what to send -----------------------------------------------------------------------------


@dataclass
class Seeds:
    """Valid requests to start from, per request type; ids the server knows."""

    decision_id: str = ""
    job_id: str = ""
    submit: planning_pb2.SubmitPlanRequest | None = None


def valid_request(rng: random.Random, m: Method, seeds: Seeds) -> Message:
    cls = m.request
    if cls is routing_pb2.RouteReturnRequest:
        return sample_request()
    if cls.DESCRIPTOR.full_name == "reroute.v1.QuoteCustomsRequest":
        return quote_request()
    if cls is planning_pb2.SubmitPlanRequest and seeds.submit is not None:
        return seeds.submit
    msg: Any = cls()
    fields = {f.name for f in cls.DESCRIPTOR.fields}
    if "decision_id" in fields:
        msg.decision_id = seeds.decision_id
    if "job_id" in fields:
        msg.job_id = seeds.job_id
    if "page_size" in fields:
        msg.page_size = rng.choice([1, 5, 50])
    made: Message = msg
    return made


KINDS = (
    "random_bytes",
    "truncated",
    "bad_wire_type",
    "invalid_utf8",
    "extreme_varint",
    "random_fields",
    "forged_token",
)


def request_bytes(rng: random.Random, m: Method, seeds: Seeds) -> tuple[str, bytes]:
    """One request's bytes for ``m``, and the kind of damage done."""
    kind = rng.choice(KINDS)
    desc: Any = m.request.DESCRIPTOR
    valid = valid_request(rng, m, seeds).SerializeToString()
    if kind == "random_bytes":
        return kind, rng.randbytes(rng.choice([0, 1, 2, 5, 17, 64, 300]))
    if kind == "truncated":
        return kind, valid[: rng.randrange(len(valid))] if valid else b"\x0a"
    if kind == "bad_wire_type":
        return kind, bad_wire_type(rng, valid, desc)
    if kind == "invalid_utf8":
        return kind, valid + invalid_utf8(rng, desc)
    if kind == "extreme_varint":
        return kind, valid + extreme_varints(rng, desc)
    if kind == "random_fields":
        return kind, random_message(rng, m.request).SerializeToString()
    token_fields = [f for f in desc.fields if f.name == "page_token"]
    if not token_fields:
        return kind, valid + invalid_utf8(rng, desc)
    return kind, valid + length_delimited(token_fields[0].number, forged_token(rng).encode())


# -- sending and judging ----------------------------------------------------------------------


@dataclass
class Tally:
    by_status: dict[str, int] = field(default_factory=dict)
    by_method: dict[str, dict[str, int]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    invalid_argument: int = 0
    with_bad_request: int = 0
    problems: list[str] = field(default_factory=list)
    accepted_jobs: list[str] = field(default_factory=list)

    def count(self, m: Method, kind: str, code: grpc.StatusCode, problem: str) -> None:
        self.by_status[code.name] = self.by_status.get(code.name, 0) + 1
        per = self.by_method.setdefault(m.path, {})
        per[code.name] = per.get(code.name, 0) + 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if code is grpc.StatusCode.INVALID_ARGUMENT:
            self.invalid_argument += 1
            if not problem:
                self.with_bad_request += 1
        if problem and len(self.problems) < 50:
            self.problems.append(f"{m.path} ({kind}): {code.name}: {problem}")

    @property
    def forbidden(self) -> int:
        return sum(self.by_status.get(c.name, 0) for c in FORBIDDEN)


def problem(code: grpc.StatusCode, err: grpc.RpcError | None) -> str:
    """What breaks the contract in one answer ("" when nothing)."""
    if code in FORBIDDEN:
        return "UNKNOWN/INTERNAL: " + ((err.details() or "")[:200] if err is not None else "")
    if code is grpc.StatusCode.INVALID_ARGUMENT and err is not None:
        status = rpc_status.from_call(err)  # type: ignore[arg-type]
        return _bad_request_problem(list(status.details) if status is not None else [])
    return ""


def send(
    channel: grpc.Channel,
    m: Method,
    messages: Sequence[bytes],
    metadata: Metadata,
    tally: Tally,
    kind: str,
    timeout_s: float = 20.0,
) -> None:
    """Send one call (``messages``: one, or several on RouteReturns) and judge its answers."""
    raw: Callable[[bytes], bytes] = bytes
    if m.client_streaming:  # RouteReturns: one answer per message, the stream goes on
        call = channel.stream_stream(m.path, request_serializer=raw, response_deserializer=raw)
        answers: list[bytes] = []
        err: grpc.RpcError | None = None
        try:
            answers = list(call(iter(messages), metadata=metadata, timeout=timeout_s))
        except grpc.RpcError as exc:
            err = exc
        code = grpc.StatusCode.OK if err is None else err.code()
        why = problem(code, err)
        if not why and err is None and len(answers) != len(messages):
            why = f"{len(answers)} answers to {len(messages)} requests"
        for a in answers:
            answer = routing_pb2.RouteReturnsResponse.FromString(a)
            if answer.HasField("error"):
                item = _code(answer.error.code)
                item_why = problem(item, None)
                if item is grpc.StatusCode.INVALID_ARGUMENT:
                    item_why = _bad_request_problem(list(answer.error.details))
                tally.count(m, kind, item, item_why)
        tally.count(m, kind, code, why)
        return
    if m.server_streaming:  # WatchPlan ends with its job; health Watch: its first answer
        call_s = channel.unary_stream(m.path, request_serializer=raw, response_deserializer=raw)
        stream: Any = call_s(messages[0], metadata=metadata, timeout=timeout_s)
        err = None
        try:
            for _ in stream:
                if m.path.startswith("/grpc.health.v1."):
                    break
        except grpc.RpcError as exc:
            err = exc
        finally:
            stream.cancel()
        code = grpc.StatusCode.OK if err is None else err.code()
        if (
            code is grpc.StatusCode.CANCELLED
            and err is not None
            and m.path.startswith("/grpc.health.v1.")
        ):
            code = grpc.StatusCode.OK  # cancelled by us, after its answer
        tally.count(m, kind, code, problem(code, err))
        return
    unary = channel.unary_unary(m.path, request_serializer=raw, response_deserializer=raw)
    try:
        answer_bytes = unary(messages[0], metadata=metadata, timeout=timeout_s)
    except grpc.RpcError as exc:
        tally.count(m, kind, exc.code(), problem(exc.code(), exc))
        return
    tally.count(m, kind, grpc.StatusCode.OK, "")
    if m.path.endswith("/SubmitPlan"):  # accepted: cancelled at once (a plan is a process)
        tally.accepted_jobs.append(planning_pb2.PlanJob.FromString(answer_bytes).job_id)


def run(
    channel: grpc.Channel,
    calls: int,
    *,
    seed: int,
    seeds: Seeds,
    metadata: Metadata,
    tally: Tally | None = None,
    progress: Callable[[int], None] | None = None,
) -> Tally:
    """``calls`` fuzzed calls, spread over every method, judged into ``tally``."""
    rng = random.Random(seed)
    tally = tally or Tally()
    every = methods()
    cancel = channel.unary_unary(
        "/reroute.v1.BatchPlanning/CancelPlan",
        request_serializer=planning_pb2.CancelPlanRequest.SerializeToString,
        response_deserializer=planning_pb2.PlanJob.FromString,
    )
    for i in range(calls):
        m = every[i % len(every)] if i < len(every) else rng.choice(every)
        count = rng.randint(1, 4) if m.client_streaming else 1
        drawn = [request_bytes(rng, m, seeds) for _ in range(count)]
        if m.client_streaming and rng.random() < 0.5:  # a good message among the bad
            drawn.insert(
                rng.randrange(len(drawn) + 1), ("valid", sample_request().SerializeToString())
            )
        send(channel, m, [b for _, b in drawn], metadata, tally, drawn[0][0])
        while tally.accepted_jobs:
            job_id = tally.accepted_jobs.pop()
            try:
                cancel(planning_pb2.CancelPlanRequest(job_id=job_id), metadata=metadata, timeout=30)
            except grpc.RpcError as exc:
                tally.count(m, "cancel", exc.code(), problem(exc.code(), exc))
        if progress is not None:
            progress(i + 1)
    return tally
