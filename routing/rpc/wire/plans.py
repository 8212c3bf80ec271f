"""The wire boundary of BatchPlanning: reroute.v1 planning messages <-> plan jobs.

``submit_from_proto`` validates a whole SubmitPlanRequest and names every bad field by its path
in the request (``returns[3].customer_return.items[0].weight_g``, ``options.time_limit_s``);
each return goes through the same :func:`routing.rpc.wire.returns.return_from_proto` as
RouteReturn.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from datetime import date
from typing import Final

from google.rpc import code_pb2, status_pb2

from hubs.model import FacilityKind, Network
from reroute.v1 import planning_pb2
from routing.decide.domain import (
    MAX_VALUE_MINOR,
    Return,
    Violations,
    check_currency,
    check_string,
)
from routing.errors import InvalidInput
from routing.plan.jobs import Job, JobCursor, JobState, PlanSpec
from routing.plan.planner import MAX_TIME_LIMIT_S, Assigned, BatchPlan, PlanConfig
from routing.rpc.status import to_status
from routing.rpc.wire.returns import return_from_proto
from routing.rpc.wire.violations import MAX_REPORTED_VIOLATIONS, raise_capped
from routing.solver import Backend
from routing.solver.problem import Progress, Status

__all__ = [
    "BACKENDS",
    "DEFAULTS",
    "DEFAULT_OVERFLOW_PRICE_MINOR",
    "MAX_PAGE_SIZE",
    "MAX_PLAN_RETURNS",
    "MAX_RETURN_ID_BYTES",
    "STATES",
    "assignments_to_proto",
    "check_job_id",
    "job_to_proto",
    "jobs_page_from_proto",
    "jobs_page_token",
    "options_to_proto",
    "page_from_proto",
    "progress_to_proto",
    "submit_from_proto",
    "summary_to_proto",
]

MAX_PLAN_RETURNS: Final = 100_000
MAX_RETURN_ID_BYTES: Final = 128
MAX_PAGE_SIZE: Final = 10_000
DEFAULTS: Final = PlanConfig()
DEFAULT_OVERFLOW_PRICE_MINOR: Final = DEFAULTS.overflow_price_minor

_pb = planning_pb2
BACKENDS: Final = {
    _pb.PLAN_BACKEND_UNSPECIFIED: Backend.AUTO,
    _pb.PLAN_BACKEND_AUTO: Backend.AUTO,
    _pb.PLAN_BACKEND_HIGHS: Backend.HIGHS,
    _pb.PLAN_BACKEND_CPSAT: Backend.CPSAT,
    _pb.PLAN_BACKEND_SCIP: Backend.SCIP,
    _pb.PLAN_BACKEND_CBC: Backend.CBC,
}
_BACKEND_TO_PROTO: Final = {b: p for p, b in BACKENDS.items() if p != _pb.PLAN_BACKEND_UNSPECIFIED}
STATES: Final = {
    JobState.QUEUED: _pb.PLAN_STATE_QUEUED,
    JobState.RUNNING: _pb.PLAN_STATE_RUNNING,
    JobState.SUCCEEDED: _pb.PLAN_STATE_SUCCEEDED,
    JobState.FAILED: _pb.PLAN_STATE_FAILED,
    JobState.CANCELLED: _pb.PLAN_STATE_CANCELLED,
}


def submit_from_proto(
    req: planning_pb2.SubmitPlanRequest, *, today: date, network: Network
) -> tuple[list[tuple[str, Return]], PlanSpec]:
    """The batch and the plan spec of a request; raises InvalidInput naming every bad field
    (at most MAX_REPORTED_VIOLATIONS, the last one counting the rest)."""
    v = Violations()
    check_string(v, "idempotency_key", req.idempotency_key, required=False)
    spec = _options_from_proto(v, req.options, network)
    n = len(req.returns)
    if n == 0:
        v.add("returns", "at least one return is required")
    elif n > MAX_PLAN_RETURNS:
        v.add("returns", f"at most {MAX_PLAN_RETURNS} returns, got {n}")
        raise_capped(v, "returns")
    origins = frozenset(k for k, f in network.facilities.items() if f.kind is FacilityKind.ORIGIN)
    seen: dict[str, int] = {}
    batch: list[tuple[str, Return]] = []
    for i, item in enumerate(req.returns):
        path = f"returns[{i}]"
        rid = item.return_id
        if not rid.strip():
            v.add(f"{path}.return_id", "is required")
        elif len(rid.encode("utf-8")) > MAX_RETURN_ID_BYTES:
            v.add(f"{path}.return_id", f"longer than {MAX_RETURN_ID_BYTES} bytes")
        elif rid in seen:
            v.add(f"{path}.return_id", f"duplicate of returns[{seen[rid]}].return_id")
        else:
            seen[rid] = i
        if not item.HasField("customer_return"):
            v.add(f"{path}.customer_return", "is required")
        else:
            try:
                ret = return_from_proto(
                    item.customer_return, today=today, path=f"{path}.customer_return"
                )
            except InvalidInput as exc:
                v.items.extend(exc.violations)
            else:
                if ret.origin_facility_id not in origins:
                    v.add(
                        f"{path}.customer_return.origin_facility_id",
                        f"unknown origin facility {ret.origin_facility_id[:64]!r};"
                        f" known: {', '.join(sorted(origins))}",
                    )
                batch.append((rid, ret))
        if len(v.items) > MAX_REPORTED_VIOLATIONS:
            break  # enough to report: do not validate a huge bad batch to the end
    raise_capped(v, "returns")
    assert spec is not None
    return batch, spec


def _options_from_proto(
    v: Violations, msg: planning_pb2.PlanOptions, network: Network
) -> PlanSpec | None:
    time_limit_s = DEFAULTS.time_limit_s
    if msg.HasField("time_limit_s"):
        t = msg.time_limit_s
        if not math.isfinite(t) or not 0 < t <= MAX_TIME_LIMIT_S:
            v.add("options.time_limit_s", f"must be > 0 and <= {MAX_TIME_LIMIT_S:g}, got {t}")
        else:
            time_limit_s = t
    horizon_days = DEFAULTS.horizon_days
    if msg.HasField("horizon_days"):
        h = msg.horizon_days
        if not 1 <= h <= 366:
            v.add("options.horizon_days", f"must be between 1 and 366, got {h}")
        else:
            horizon_days = h
    price = DEFAULT_OVERFLOW_PRICE_MINOR
    if msg.HasField("overflow_price"):
        m = msg.overflow_price
        if not 0 <= m.amount_minor <= MAX_VALUE_MINOR:
            v.add(
                "options.overflow_price.amount_minor",
                f"must be between 0 and {MAX_VALUE_MINOR}, got {m.amount_minor}",
            )
        else:
            price = m.amount_minor
        before = len(v.items)
        check_currency(v, "options.overflow_price.currency", m.currency)
        if len(v.items) == before and m.currency != network.currency:
            v.add(
                "options.overflow_price.currency",
                f"must be the network's currency {network.currency}, got {m.currency}",
            )
    backend = BACKENDS.get(msg.backend)
    if backend is None:
        v.add("options.backend", f"unknown PlanBackend value {msg.backend}")
    if len(v.items):
        return None
    assert backend is not None
    config = PlanConfig(
        horizon_days=horizon_days,
        time_limit_s=time_limit_s,
        allow_overflow=msg.allow_overflow,
        overflow_price_minor=price,
    )
    return PlanSpec(config=config, backend=backend)


def check_job_id(job_id: str, path: str = "job_id") -> None:
    if not job_id.strip():
        raise InvalidInput.one(path, "is required")
    if len(job_id.encode("utf-8")) > 128:
        raise InvalidInput.one(path, "longer than 128 bytes")


def page_from_proto(req: planning_pb2.GetPlanRequest) -> tuple[int, int]:
    """(offset, size) of the assignments page a GetPlanRequest asks for."""
    v = Violations()
    if not 0 <= req.page_size <= MAX_PAGE_SIZE:
        v.add("page_size", f"must be between 0 and {MAX_PAGE_SIZE}, got {req.page_size}")
    offset = 0
    if req.page_token:
        token = req.page_token
        # ASCII digits only: str.isdigit() also takes "²" and "١", which int() rejects or reads
        if not (token.isascii() and token.isdigit()) or len(token) > 12:
            v.add("page_token", "not a page token of this server (use next_page_token)")
        else:
            offset = int(token)
    v.raise_if_any()
    return offset, req.page_size


DEFAULT_JOBS_PAGE: Final = 50
MAX_JOBS_PAGE: Final = 500
_JOBS_TOKEN: Final = "j1:"
_STATE_OF: Final = {p: s for s, p in STATES.items()}


def jobs_page_from_proto(
    req: planning_pb2.ListPlansRequest,
) -> tuple[int, JobCursor | None, JobState | None]:
    """(size, cursor, state) of the page of jobs a ListPlansRequest asks for."""
    v = Violations()
    if req.page_size < 0:
        v.add("page_size", f"must be >= 0, got {req.page_size}")
    size = min(req.page_size or DEFAULT_JOBS_PAGE, MAX_JOBS_PAGE)
    state: JobState | None = None
    if req.state != _pb.PLAN_STATE_UNSPECIFIED:
        state = _STATE_OF.get(req.state)
        if state is None:
            v.add("state", f"unknown PlanState {req.state}")
    cursor = None
    if req.page_token:
        cursor = _parse_jobs_token(req.page_token)
        if cursor is None:
            v.add("page_token", "not a page token of this server (use next_page_token)")
    v.raise_if_any()
    return size, cursor, state


def jobs_page_token(cursor: JobCursor | None) -> str:
    """The next_page_token of a page ending at ``cursor`` ("" for the last page)."""
    if cursor is None:
        return ""
    text = f"{_JOBS_TOKEN}{cursor.created_us}:{cursor.job_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _parse_jobs_token(token: str) -> JobCursor | None:
    if len(token) > 200 or not token.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not text.startswith(_JOBS_TOKEN):
        return None
    us, _, job_id = text[len(_JOBS_TOKEN) :].partition(":")
    # ASCII digits below 2^63 (a created_at this server wrote), a job id of hex digits
    if not (us.isascii() and us.isdigit() and len(us) <= 19 and int(us) < 2**63):
        return None
    if not (0 < len(job_id) <= 64 and all(c in "0123456789abcdef" for c in job_id)):
        return None
    return JobCursor(int(us), job_id)


def options_to_proto(spec: PlanSpec, currency: str) -> planning_pb2.PlanOptions:
    c = spec.config
    return planning_pb2.PlanOptions(
        time_limit_s=c.time_limit_s,
        horizon_days=c.horizon_days,
        allow_overflow=c.allow_overflow,
        overflow_price={"amount_minor": c.overflow_price_minor, "currency": currency},
        backend=_BACKEND_TO_PROTO[spec.backend],
    )


def progress_to_proto(job: Job, currency: str) -> planning_pb2.PlanProgress:
    msg = planning_pb2.PlanProgress(job_id=job.job_id, state=STATES[job.state], currency=currency)
    p: Progress | None = job.progress
    if p is not None:
        if p.incumbent is not None:
            msg.incumbent_minor = p.incumbent
        if p.bound is not None:
            msg.bound_minor = p.bound
        if not math.isinf(p.gap):
            msg.gap = p.gap
        msg.elapsed_s = p.elapsed_s
        msg.backend = p.backend
    return msg


def summary_to_proto(plan: BatchPlan) -> planning_pb2.PlanSummary:
    r = plan.result
    assert r.objective is not None
    return planning_pb2.PlanSummary(
        status=_pb.PLAN_STATUS_OPTIMAL if r.status is Status.OPTIMAL else _pb.PLAN_STATUS_FEASIBLE,
        currency=plan.currency,
        objective_minor=r.objective,
        bound_minor=r.bound if r.bound is not None else r.objective,
        gap=0.0 if math.isinf(r.gap) else r.gap,
        solve_time_s=r.wall_time_s,
        backend=r.backend,
        returns=plan.returns,
        units=plan.units,
        classes=plan.classes,
        overflow_units=plan.overflow_units,
        facilities=[
            planning_pb2.FacilityUse(
                facility_id=f.facility_id, load_units=f.load_units, capacity_units=f.capacity_units
            )
            for f in plan.facilities
        ],
        lanes=[
            planning_pb2.LaneUse(
                lane_id=lane.lane_id,
                load_units=lane.load_units,
                dispatches=lane.dispatches,
                capacity_units_per_dispatch=lane.capacity_units_per_dispatch,
                fixed_cost_minor_per_dispatch=lane.fixed_cost_minor,
            )
            for lane in plan.lanes
        ],
        unroutable=[
            planning_pb2.UnroutableReturn(return_id=rid, reason=why) for rid, why in plan.unroutable
        ],
    )


def job_to_proto(job: Job, currency: str) -> planning_pb2.PlanJob:
    msg = planning_pb2.PlanJob(
        job_id=job.job_id,
        state=STATES[job.state],
        options=options_to_proto(job.spec, currency),
        returns=job.returns,
        progress=progress_to_proto(job, currency),
    )
    msg.create_time.FromDatetime(job.created_at)
    if job.plan is not None:
        msg.summary.CopyFrom(summary_to_proto(job.plan))
    if job.error is not None:
        if job.error.code == "INTERNAL":  # logged where it happened; no internals on the wire
            msg.error.CopyFrom(status_pb2.Status(code=code_pb2.INTERNAL, message=job.error.message))
        else:  # FAILED_PRECONDITION, INVALID_ARGUMENT, UNAVAILABLE (interrupted: retryable)
            msg.error.CopyFrom(to_status(job.error.to_exception()))
    return msg


def assignments_to_proto(items: Sequence[Assigned]) -> list[planning_pb2.PlanAssignment]:
    return [
        planning_pb2.PlanAssignment(
            return_id=a.return_id,
            option=a.option,
            facility_id=a.facility_id,
            lane_id=a.lane_id,
            cost_minor=a.cost_minor,
            units=a.units,
        )
        for a in items
    ]
