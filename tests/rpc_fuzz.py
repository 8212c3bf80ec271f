"""Hypothesis strategies of whole reroute.v1 calls (method, request, metadata, deadline) and a
runner that makes them, for the fuzz test (tests/routing/rpc/test_rpc_fuzz.py) and the reliability
benchmark (benchmarks/reliability/fuzz.py): every RPC of ReturnsRouting and BatchPlanning,
mutated requests, good/bad/foreign API keys, real and made-up ids.

``ALLOWED`` is every status a well-behaved server may answer such calls with: never UNKNOWN
or INTERNAL. A WatchPlan may also end DEADLINE_EXCEEDED by the client's own (short) deadline.

Plan jobs cost a process each (about 2 s of CPU for a handful of returns; the server runs one
at a time), so the runner keeps them few: it lets at most ``plan_runs`` accepted submissions
run ("live"), one at a time and at least ``calls_between_runs`` calls apart. While a live job
holds the plan slot, every other accepted submission is cancelled at once, still queued (it
never starts); while none does, a submission that is not to run is held back: sent with
``options.horizon_days = 0``, so the server still validates all of it but cannot accept it.
Every job the runner sees submitted becomes a real id for GetPlan, WatchPlan and CancelPlan.
"""

from __future__ import annotations

import collections
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status
from hypothesis import strategies as st

from hubs import default_network
from reroute.v1 import (
    common_pb2,
    customs_pb2,
    planning_pb2,
    planning_pb2_grpc,
    routing_pb2,
    routing_pb2_grpc,
)
from routing.batches.generate import generate_returns
from routing.rpc.wire.returns import return_to_proto
from tests.routing.rpc.test_server import mutated_requests, quote_request, sample_request

ALLOWED = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)
# why a plan job may end FAILED (planning.proto, PlanJob.error); INTERNAL is a server bug
JOB_ERRORS_ALLOWED = frozenset(
    {code_pb2.FAILED_PRECONDITION, code_pb2.INVALID_ARGUMENT, code_pb2.UNAVAILABLE}
)
PLAN_METHODS = ("SubmitPlan", "GetPlan", "WatchPlan", "CancelPlan")
_FINAL = frozenset(
    {
        planning_pb2.PLAN_STATE_SUCCEEDED,
        planning_pb2.PLAN_STATE_FAILED,
        planning_pb2.PLAN_STATE_CANCELLED,
    }
)
_TEXT = st.one_of(
    st.text(max_size=40), st.sampled_from(["", "0" * 32, "A" * 1100, "d1:5", "ZDE6Mw"])
)
_INT32 = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 1, 500, 501]))
_INT64_EDGES = [-(2**63), -1, 2**63 - 1]
_GENERATED_START = date(2026, 11, 2)


Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Call:
    method: str  # "RouteReturn", "RouteReturns", ..., "SubmitPlan", "WatchPlan", ...
    request: Message | tuple[Message, ...]  # a tuple for the RouteReturns stream
    metadata: Metadata
    timeout_s: float = 30.0  # the client's deadline (short for WatchPlan)


@dataclass(frozen=True)
class Outcome:
    """How a call ended: its status (for RouteReturns the first bad item's status, else the
    call's) and, when the answer breaks the contract, why (empty when it keeps it)."""

    code: grpc.StatusCode
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass
class KnownIds:
    """Real ids the calls draw from (of any tenant); a Runner adds every job it submits."""

    decisions: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    owners: dict[str, Metadata] = field(default_factory=dict)  # job id -> its tenant's key
    live_job: str = ""  # the job the runner let run, while it may not have ended


# -- ReturnsRouting ---------------------------------------------------------------------------


@st.composite
def quote_requests(draw: st.DrawFn) -> customs_pb2.QuoteCustomsRequest:
    req = quote_request()
    item = req.items[0]
    setters = [
        lambda: setattr(req, "export_country", draw(_TEXT)),
        lambda: setattr(req, "import_country", draw(_TEXT)),
        lambda: setattr(req, "goods_origin_country", draw(_TEXT)),
        lambda: setattr(req, "channel", draw(st.integers(0, 9))),
        lambda: setattr(item, "hs_code", draw(_TEXT)),
        lambda: setattr(item, "quantity", draw(_INT32)),
        lambda: setattr(item.value, "amount_minor", draw(_INT32)),
        lambda: setattr(item.value, "currency", draw(_TEXT)),
        lambda: setattr(req.date, "month", draw(st.integers(0, 20))),
        lambda: setattr(req.original_import.vat_paid, "amount_minor", draw(_INT32)),
    ]
    for n in draw(st.lists(st.integers(0, len(setters) - 1), min_size=0, max_size=3)):
        setters[n]()
    return req


def _metadata(keys: dict[str, str]) -> st.SearchStrategy[Metadata]:
    good = st.sampled_from(sorted(keys.values())).map(lambda k: (("authorization", f"Bearer {k}"),))
    bad = st.one_of(
        st.just(()),
        _TEXT.filter(lambda t: t.isascii() and t.isprintable()).map(lambda t: (("x-api-key", t),)),
        st.just((("authorization", "Basic abc"),)),
    )
    rid = st.one_of(
        st.just(()),
        _TEXT.filter(lambda t: t.isascii() and t.isprintable()).map(
            lambda t: (("x-request-id", t),)
        ),
    )
    # mostly a good key, so that most calls reach the servicers
    key = st.integers(0, 9).flatmap(lambda n: good if n < 8 else bad)
    return st.tuples(key, rid).map(lambda p: p[0] + p[1])


# -- BatchPlanning ----------------------------------------------------------------------------


@functools.cache
def _generated_returns() -> tuple[bytes, ...]:
    """Valid returns of varied countries, origins and items (serialized: never shared)."""
    net = default_network()
    return tuple(
        return_to_proto(r).SerializeToString()
        for _, r in generate_returns(40, seed=11, network=net, start=_GENERATED_START)
    )


def _weighted(draw: st.DrawFn, *choices: tuple[int, Callable[[], object]]) -> object:
    """One of ``choices`` (weight, thunk), drawn by weight."""
    n = draw(st.integers(0, sum(w for w, _ in choices) - 1))
    for weight, thunk in choices:
        if n < weight:
            return thunk()
        n -= weight
    raise AssertionError("unreachable")


@st.composite
def customer_returns(draw: st.DrawFn) -> routing_pb2.Return:
    """Mostly valid returns (generated, the sample, valid extremes), else RouteReturn's
    mutated ones."""
    pool = _generated_returns()

    def generated() -> routing_pb2.Return:
        return routing_pb2.Return.FromString(draw(st.sampled_from(pool)))

    def extreme() -> routing_pb2.Return:
        r = generated()
        item = r.items[0]
        # the largest values the wire contract takes: capacity shortfalls, large costs
        item.quantity = draw(st.sampled_from([1, 10_000]))
        item.weight_g = draw(st.sampled_from([1, 1_000_000]))
        item.declared_value.amount_minor = draw(st.sampled_from([1, 10**11]))
        item.dimensions_mm.length = draw(st.sampled_from([1, 10_000]))
        return r

    ret = _weighted(
        draw,
        (10, generated),
        (3, lambda: sample_request().customer_return),
        (2, extreme),
        (4, lambda: draw(mutated_requests()).customer_return),
    )
    assert isinstance(ret, routing_pb2.Return)
    return ret


@st.composite
def plan_options(draw: st.DrawFn) -> planning_pb2.PlanOptions:
    """Mostly valid, cheap options (a time limit under a second), else one bad value or more."""
    o = planning_pb2.PlanOptions()
    t = _weighted(
        draw,
        (1, lambda: None),  # unset: 60 s, ample for a handful of returns
        (12, lambda: draw(st.floats(1e-3, 0.5))),
        (1, lambda: 5e-324),  # the smallest positive double: valid
        (
            2,
            lambda: draw(
                st.sampled_from(
                    [0.0, -0.0, -1.0, float("nan"), float("inf"), -float("inf"), 3600.001, 1e308]
                )
            ),
        ),
    )
    if isinstance(t, float):
        o.time_limit_s = t
    h = _weighted(
        draw,
        (4, lambda: None),
        (4, lambda: draw(st.integers(1, 366))),
        (1, lambda: draw(st.sampled_from([0, -1, 367, -(2**31), 2**31 - 1]))),
    )
    if isinstance(h, int):
        o.horizon_days = h
    o.allow_overflow = draw(st.booleans())
    if draw(st.integers(0, 2)) == 0:
        amount = _weighted(
            draw,
            (4, lambda: draw(st.integers(0, 10**11))),
            (1, lambda: draw(st.sampled_from([*_INT64_EDGES, 10**11 + 1]))),
        )
        currency = _weighted(
            draw,
            (4, lambda: "EUR"),  # the default network's currency
            (1, lambda: draw(st.one_of(st.sampled_from(["USD", "eur", "EURO"]), _TEXT))),
        )
        o.overflow_price.CopyFrom(common_pb2.Money(amount_minor=amount, currency=currency))  # type: ignore[arg-type]
    backend = _weighted(
        draw,
        (8, lambda: draw(st.integers(0, 5))),
        (1, lambda: draw(st.sampled_from([6, 99, -1, -(2**31), 2**31 - 1]))),
    )
    o.backend = backend  # type: ignore[assignment]  # proto3 enums are open: any int32 goes
    return o


@st.composite
def submit_requests(draw: st.DrawFn) -> planning_pb2.SubmitPlanRequest:
    """0-5 returns (mostly valid, unique ids) with plan options (mostly valid and cheap)."""
    req = planning_pb2.SubmitPlanRequest()
    ids: list[str] = []

    def fresh() -> str:  # the next return's own id: r0, r1, ...
        return f"r{len(ids)}"

    def duplicate() -> str:
        return draw(st.sampled_from(ids)) if ids else fresh()

    for _ in range(draw(st.integers(0, 5))):
        rid = _weighted(
            draw,
            (16, fresh),
            (2, duplicate),
            (1, lambda: draw(st.sampled_from(["", " ", "A" * 129, "é" * 65, "\t"]))),
            (1, lambda: draw(_TEXT)),
        )
        assert isinstance(rid, str)
        ids.append(rid)
        item = req.returns.add(return_id=rid)
        if draw(st.integers(0, 19)):
            item.customer_return.CopyFrom(draw(customer_returns()))
    if draw(st.integers(0, 5)):
        req.options.CopyFrom(draw(plan_options()))
    return req


_MADE_UP_JOB_IDS = st.one_of(
    _TEXT,
    st.text("0123456789abcdef", min_size=32, max_size=32),  # looks like ours
    st.sampled_from([" ", "A" * 128, "A" * 129, "é" * 64, "é" * 65, "..", "%00", "*"]),
)


@st.composite
def job_ids(draw: st.DrawFn, ids: KnownIds) -> str:
    """A made-up job id, or a real one as it is now (the runner adds jobs as it goes): the
    draws do not depend on which ids exist, so hypothesis sees one strategy throughout."""
    made_up = draw(_MADE_UP_JOB_IDS)
    kind = draw(st.integers(0, 9))
    n = draw(st.integers(0, 2**16))
    if kind < 2 or not ids.jobs:
        return made_up
    if kind == 2 and ids.live_job:
        return ids.live_job
    real = ids.jobs[-1 - n % len(ids.jobs)]
    if kind == 3:
        return real.upper()
    if kind == 4:
        return real + " "
    return real


_DIGITS = st.characters(categories=["Nd", "No"]).filter(str.isdigit)  # every script's


@st.composite
def page_tokens(draw: st.DrawFn) -> str:
    """Mostly tokens this server could have issued, else digits of every script, signs,
    spaces, too many digits and garbage."""
    token = _weighted(
        draw,
        (6, lambda: ""),
        (4, lambda: str(draw(st.integers(0, 30)))),
        (1, lambda: str(draw(st.integers(0, 10**13)))),
        (2, lambda: draw(st.text(_DIGITS, min_size=1, max_size=3))),
        (1, lambda: draw(st.sampled_from(["-1", " 1", "1 ", "+1", "1e3", "0x10", "1_000"]))),
        (1, lambda: draw(_TEXT)),
    )
    assert isinstance(token, str)
    return token


@st.composite
def page_sizes(draw: st.DrawFn) -> int:
    size = _weighted(
        draw,
        (8, lambda: draw(st.integers(0, 20))),
        (1, lambda: draw(st.sampled_from([10_000, 10_001, -1, 2**31 - 1, -(2**31)]))),
        (1, lambda: draw(_INT32)),
    )
    assert isinstance(size, int)
    return size


@st.composite
def job_calls(draw: st.DrawFn, method: str, keys: dict[str, str], ids: KnownIds) -> Call:
    """GetPlan, WatchPlan or CancelPlan of a job id, half the time of a real id with its own
    tenant's key (else any key: another tenant's, a bad one, none)."""
    job_id = draw(job_ids(ids))
    metadata = draw(_metadata(keys))
    if draw(st.booleans()) and job_id in ids.owners:
        metadata = ids.owners[job_id]
    if method == "GetPlan":
        get = planning_pb2.GetPlanRequest(
            job_id=job_id, page_size=draw(page_sizes()), page_token=draw(page_tokens())
        )
        return Call(method, get, metadata)
    if method == "WatchPlan":
        watch = planning_pb2.WatchPlanRequest(job_id=job_id)
        return Call(method, watch, metadata, draw(st.sampled_from([0.05, 0.2, 1.0])))
    return Call(method, planning_pb2.CancelPlanRequest(job_id=job_id), metadata)


def calls(keys: dict[str, str], ids: KnownIds) -> st.SearchStrategy[Call]:
    """Calls of every ReturnsRouting and BatchPlanning RPC; ``ids`` are real ids of any tenant
    (job ids are read when drawn: the runner adds jobs as it goes)."""
    decision_ids = st.one_of(_TEXT, st.sampled_from(ids.decisions)) if ids.decisions else _TEXT
    md = _metadata(keys)
    return st.one_of(
        st.builds(Call, st.just("RouteReturn"), mutated_requests(), md),
        st.builds(
            Call,
            st.just("RouteReturns"),
            st.lists(mutated_requests(), min_size=0, max_size=4).map(tuple),
            md,
        ),
        st.builds(Call, st.just("QuoteCustoms"), quote_requests(), md),
        st.builds(
            Call,
            st.just("GetDecision"),
            st.builds(routing_pb2.GetDecisionRequest, decision_id=decision_ids),
            md,
        ),
        st.builds(
            Call,
            st.just("ExplainDecision"),
            st.builds(routing_pb2.ExplainDecisionRequest, decision_id=decision_ids),
            md,
        ),
        st.builds(
            Call,
            st.just("ListDecisions"),
            st.builds(routing_pb2.ListDecisionsRequest, page_size=_INT32, page_token=_TEXT),
            md,
        ),
        st.builds(Call, st.just("SubmitPlan"), submit_requests(), md),
        *(job_calls(m, keys, ids) for m in ("GetPlan", "WatchPlan", "CancelPlan")),
    )


# -- the runner -------------------------------------------------------------------------------


def _code(number: int) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code
    return grpc.StatusCode.UNKNOWN


def _bad_request_problem(details: Sequence[any_pb2.Any]) -> str:
    """Empty when the details hold a BadRequest naming at least one field."""
    for d in details:
        bad = error_details_pb2.BadRequest()
        if d.Unpack(bad) and bad.field_violations:
            if all(v.field and v.description for v in bad.field_violations):
                return ""
            return "a BadRequest violation without field or description"
    return "INVALID_ARGUMENT without a google.rpc.BadRequest naming the field"


def _error_problem(err: grpc.RpcError) -> str:
    code = err.code()
    if code is not grpc.StatusCode.INVALID_ARGUMENT:
        return ""
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    return _bad_request_problem(list(status.details) if status is not None else [])


def _job_problem(job: planning_pb2.PlanJob, job_id: str = "") -> str:
    if job_id and job.job_id != job_id:
        return f"answered job {job.job_id[:40]!r} for {job_id[:40]!r}"
    if job.state == planning_pb2.PLAN_STATE_UNSPECIFIED:
        return "a job without a state"
    if job.state == planning_pb2.PLAN_STATE_FAILED:
        if job.error.code not in JOB_ERRORS_ALLOWED:
            return f"job FAILED with {_code(job.error.code).name}: {job.error.message[:200]}"
    elif job.HasField("error"):
        return "a job not FAILED carries an error"
    if (job.state == planning_pb2.PLAN_STATE_SUCCEEDED) != job.HasField("summary"):
        return "a summary on a job not SUCCEEDED, or none on a SUCCEEDED one"
    return ""


class Runner:
    """Makes calls on one channel and checks the answers (see ``Outcome``); keeps ``ids`` up
    to date with the jobs it submits. ``follow_ups`` counts the calls it makes on its own
    (GetPlan of the running job, CancelPlan of a job not let run), checked the same way."""

    def __init__(
        self,
        channel: grpc.Channel,
        ids: KnownIds | None = None,
        *,
        plan_runs: int = 1,
        calls_between_runs: int = 0,
    ) -> None:
        self.routing = routing_pb2_grpc.ReturnsRoutingStub(channel)
        self.planning = planning_pb2_grpc.BatchPlanningStub(channel)
        self.ids = ids if ids is not None else KnownIds()
        self.plan_runs_left = plan_runs
        self.calls_between_runs = calls_between_runs
        self.calls = 0
        self.last_run_at = -calls_between_runs
        self.live_metadata: Metadata = ()
        self.seeded = 0  # jobs seed() submitted
        self.held_back = 0  # submissions sent with a bad horizon_days (see _submit_plan)
        self.ran: list[tuple[str, Metadata]] = []  # every job let run, with its tenant's key
        self.follow_ups: collections.Counter[str] = collections.Counter()
        self.follow_up_problems: list[str] = []

    def seed(self, keys: dict[str, str], *, live: bool = False) -> None:
        """Real ids to start from: a decision per key; a SUCCEEDED plan job (of the first key's
        tenant, so GetPlan pages real assignments), a CANCELLED one (of the second's) and, when
        ``live``, a job of the same plannable batch left to run as the fuzz starts."""
        tenants = [(("authorization", f"Bearer {k}"),) for k in keys.values()]
        for m in tenants:
            got = self.routing.RouteReturn(sample_request(), metadata=m, timeout=30)
            self.ids.decisions.append(got.decision.decision_id)
        batch = planning_pb2.SubmitPlanRequest(options=planning_pb2.PlanOptions(time_limit_s=5))
        for i, raw in enumerate(_generated_returns()[:6]):
            batch.returns.add(return_id=f"seed{i}").customer_return.MergeFromString(raw)
        first, other = tenants[0], tenants[1 % len(tenants)]
        job = self._seed_job(batch, first)
        watch = planning_pb2.WatchPlanRequest(job_id=job)
        last = list(self.planning.WatchPlan(watch, metadata=first, timeout=120))[-1]
        if last.state != planning_pb2.PLAN_STATE_SUCCEEDED:
            raise RuntimeError(f"the seed plan ended {planning_pb2.PlanState.Name(last.state)}")
        cancel = planning_pb2.CancelPlanRequest(job_id=self._seed_job(batch, other))
        self.planning.CancelPlan(cancel, metadata=other, timeout=30)
        if live:
            self.ids.live_job, self.live_metadata = self._seed_job(batch, first), first
            self.ran.append((self.ids.live_job, first))

    def _seed_job(self, batch: planning_pb2.SubmitPlanRequest, m: Metadata) -> str:
        job_id: str = self.planning.SubmitPlan(batch, metadata=m, timeout=30).job_id
        self.ids.jobs.append(job_id)
        self.ids.owners[job_id] = m
        self.seeded += 1
        return job_id

    def invoke(self, call: Call) -> Outcome:
        """Make the call; its outcome."""
        self.calls += 1
        started = time.monotonic()
        try:
            problem = self._send(call)
        except grpc.RpcError as err:
            code = err.code()
            if code is grpc.StatusCode.DEADLINE_EXCEEDED and call.method == "WatchPlan":
                if time.monotonic() - started >= call.timeout_s * 0.99:
                    return Outcome(code)  # the client's own deadline: allowed
                return Outcome(code, "DEADLINE_EXCEEDED before the client's deadline")
            if code not in ALLOWED:
                return Outcome(code, f"{err.details()}"[:300])
            return Outcome(code, _error_problem(err))
        return Outcome(problem[0], problem[1])

    def _send(self, call: Call) -> tuple[grpc.StatusCode, str]:
        m, t, req = call.metadata, call.timeout_s, call.request
        ok = grpc.StatusCode.OK
        if call.method == "RouteReturns":
            assert isinstance(req, tuple)
            for answer in self.routing.RouteReturns(iter(req), metadata=m, timeout=t):
                if answer.HasField("error") and answer.error.code != 0:
                    code = _code(answer.error.code)
                    if code not in ALLOWED:
                        return code, f"stream item {code.name}: {answer.error.message[:200]}"
                    if code is grpc.StatusCode.INVALID_ARGUMENT:
                        bad = _bad_request_problem(list(answer.error.details))
                        if bad:
                            return code, bad
            return ok, ""
        plan = {
            "SubmitPlan": self._submit_plan,
            "GetPlan": self._get_plan,
            "WatchPlan": self._watch_plan,
            "CancelPlan": self._cancel_plan,
        }.get(call.method)
        if plan is not None:
            return ok, plan(req, m, t)  # type: ignore[operator]
        getattr(self.routing, call.method)(req, metadata=m, timeout=t)
        return ok, ""

    def _submit_plan(self, req: planning_pb2.SubmitPlanRequest, m: Metadata, t: float) -> str:
        runs = self._run_allowed()
        if not runs and not self.ids.live_job:
            # nothing holds the plan slot: a job accepted now would start a process at once,
            # so this one is held back (every return is still validated: one more violation)
            held = planning_pb2.SubmitPlanRequest()
            held.CopyFrom(req)
            held.options.horizon_days = 0
            req = held
            self.held_back += 1
        job = self.planning.SubmitPlan(req, metadata=m, timeout=t)
        self.ids.jobs.append(job.job_id)
        self.ids.owners[job.job_id] = m
        if job.state != planning_pb2.PLAN_STATE_QUEUED or job.returns != len(req.returns):
            return f"submitted job {planning_pb2.PlanState.Name(job.state)}, {job.returns} returns"
        if runs:
            self.plan_runs_left -= 1
            self.last_run_at = self.calls
            self.ids.live_job, self.live_metadata = job.job_id, m
            self.ran.append((job.job_id, m))
            return _job_problem(job)
        self._follow_up(  # queued behind the live job: never starts
            "CancelPlan",
            lambda: self.planning.CancelPlan(
                planning_pb2.CancelPlanRequest(job_id=job.job_id), metadata=m, timeout=30
            ),
            job.job_id,
        )
        return _job_problem(job)

    def _run_allowed(self) -> bool:
        """Whether a job accepted now may run: no live job (one that ended is forgotten here),
        runs left, and far enough from the last."""
        if self.ids.live_job:
            live = self.ids.live_job
            got = self._follow_up(
                "GetPlan",
                lambda: (
                    self.planning.GetPlan(
                        planning_pb2.GetPlanRequest(job_id=live),
                        metadata=self.live_metadata,
                        timeout=30,
                    ).job
                ),
                live,
            )
            if got is None or got.state not in _FINAL:
                return False
            self.ids.live_job = ""
        return self.plan_runs_left > 0 and self.calls - self.last_run_at >= self.calls_between_runs

    def _follow_up(
        self, method: str, send: Callable[[], planning_pb2.PlanJob], job_id: str
    ) -> planning_pb2.PlanJob | None:
        self.follow_ups[method] += 1
        try:
            job = send()
        except grpc.RpcError as err:
            code = err.code()
            self.follow_up_problems.append(f"{method} of a job of the runner: {code.name}")
            return None
        problem = _job_problem(job, job_id)
        if method == "CancelPlan" and job.state not in _FINAL:
            problem = problem or "CancelPlan answered a job not in a final state"
        if problem:
            self.follow_up_problems.append(f"{method}: {problem}")
        return job

    def _get_plan(self, req: planning_pb2.GetPlanRequest, m: Metadata, t: float) -> str:
        got = self.planning.GetPlan(req, metadata=m, timeout=t)
        problem = _job_problem(got.job, req.job_id)
        if problem:
            return problem
        if len(got.assignments) > req.page_size:
            return f"{len(got.assignments)} assignments for page_size {req.page_size}"
        if got.assignments and got.job.state != planning_pb2.PLAN_STATE_SUCCEEDED:
            return "assignments of a job not SUCCEEDED"
        if got.next_page_token and not got.assignments:
            return "a next_page_token after an empty page"
        return ""

    def _watch_plan(self, req: planning_pb2.WatchPlanRequest, m: Metadata, t: float) -> str:
        seen: list[planning_pb2.PlanState] = []
        for p in self.planning.WatchPlan(req, metadata=m, timeout=t):
            if p.job_id != req.job_id or p.state == planning_pb2.PLAN_STATE_UNSPECIFIED:
                return f"progress of job {p.job_id[:40]!r} in state {p.state}"
            if seen and seen[-1] in _FINAL:
                return "progress after a final state"
            seen.append(p.state)
        if not seen or seen[-1] not in _FINAL:
            return "the stream ended OK before a final state"
        return ""

    def _cancel_plan(self, req: planning_pb2.CancelPlanRequest, m: Metadata, t: float) -> str:
        job = self.planning.CancelPlan(req, metadata=m, timeout=t)
        if job.state not in _FINAL:
            return f"CancelPlan answered the job {planning_pb2.PlanState.Name(job.state)}"
        return _job_problem(job, req.job_id)
