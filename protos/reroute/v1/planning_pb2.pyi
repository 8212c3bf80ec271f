import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from reroute.v1 import common_pb2 as _common_pb2
from reroute.v1 import routing_pb2 as _routing_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanBackend(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLAN_BACKEND_UNSPECIFIED: _ClassVar[PlanBackend]
    PLAN_BACKEND_AUTO: _ClassVar[PlanBackend]
    PLAN_BACKEND_HIGHS: _ClassVar[PlanBackend]
    PLAN_BACKEND_CPSAT: _ClassVar[PlanBackend]
    PLAN_BACKEND_SCIP: _ClassVar[PlanBackend]
    PLAN_BACKEND_CBC: _ClassVar[PlanBackend]

class PlanState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLAN_STATE_UNSPECIFIED: _ClassVar[PlanState]
    PLAN_STATE_QUEUED: _ClassVar[PlanState]
    PLAN_STATE_RUNNING: _ClassVar[PlanState]
    PLAN_STATE_SUCCEEDED: _ClassVar[PlanState]
    PLAN_STATE_FAILED: _ClassVar[PlanState]
    PLAN_STATE_CANCELLED: _ClassVar[PlanState]

class PlanStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLAN_STATUS_UNSPECIFIED: _ClassVar[PlanStatus]
    PLAN_STATUS_OPTIMAL: _ClassVar[PlanStatus]
    PLAN_STATUS_FEASIBLE: _ClassVar[PlanStatus]
PLAN_BACKEND_UNSPECIFIED: PlanBackend
PLAN_BACKEND_AUTO: PlanBackend
PLAN_BACKEND_HIGHS: PlanBackend
PLAN_BACKEND_CPSAT: PlanBackend
PLAN_BACKEND_SCIP: PlanBackend
PLAN_BACKEND_CBC: PlanBackend
PLAN_STATE_UNSPECIFIED: PlanState
PLAN_STATE_QUEUED: PlanState
PLAN_STATE_RUNNING: PlanState
PLAN_STATE_SUCCEEDED: PlanState
PLAN_STATE_FAILED: PlanState
PLAN_STATE_CANCELLED: PlanState
PLAN_STATUS_UNSPECIFIED: PlanStatus
PLAN_STATUS_OPTIMAL: PlanStatus
PLAN_STATUS_FEASIBLE: PlanStatus

class BatchReturn(_message.Message):
    __slots__ = ("return_id", "customer_return")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_RETURN_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    customer_return: _routing_pb2.Return
    def __init__(self, return_id: _Optional[str] = ..., customer_return: _Optional[_Union[_routing_pb2.Return, _Mapping]] = ...) -> None: ...

class PlanOptions(_message.Message):
    __slots__ = ("time_limit_s", "horizon_days", "allow_overflow", "overflow_price", "backend")
    TIME_LIMIT_S_FIELD_NUMBER: _ClassVar[int]
    HORIZON_DAYS_FIELD_NUMBER: _ClassVar[int]
    ALLOW_OVERFLOW_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_PRICE_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    time_limit_s: float
    horizon_days: int
    allow_overflow: bool
    overflow_price: _common_pb2.Money
    backend: PlanBackend
    def __init__(self, time_limit_s: _Optional[float] = ..., horizon_days: _Optional[int] = ..., allow_overflow: _Optional[bool] = ..., overflow_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., backend: _Optional[_Union[PlanBackend, str]] = ...) -> None: ...

class SubmitPlanRequest(_message.Message):
    __slots__ = ("returns", "options", "idempotency_key")
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    returns: _containers.RepeatedCompositeFieldContainer[BatchReturn]
    options: PlanOptions
    idempotency_key: str
    def __init__(self, returns: _Optional[_Iterable[_Union[BatchReturn, _Mapping]]] = ..., options: _Optional[_Union[PlanOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class PlanProgress(_message.Message):
    __slots__ = ("job_id", "state", "incumbent_minor", "bound_minor", "gap", "elapsed_s", "backend", "currency")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    INCUMBENT_MINOR_FIELD_NUMBER: _ClassVar[int]
    BOUND_MINOR_FIELD_NUMBER: _ClassVar[int]
    GAP_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_S_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: PlanState
    incumbent_minor: int
    bound_minor: int
    gap: float
    elapsed_s: float
    backend: str
    currency: str
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[PlanState, str]] = ..., incumbent_minor: _Optional[int] = ..., bound_minor: _Optional[int] = ..., gap: _Optional[float] = ..., elapsed_s: _Optional[float] = ..., backend: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class FacilityUse(_message.Message):
    __slots__ = ("facility_id", "load_units", "capacity_units")
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    LOAD_UNITS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_UNITS_FIELD_NUMBER: _ClassVar[int]
    facility_id: str
    load_units: int
    capacity_units: int
    def __init__(self, facility_id: _Optional[str] = ..., load_units: _Optional[int] = ..., capacity_units: _Optional[int] = ...) -> None: ...

class LaneUse(_message.Message):
    __slots__ = ("lane_id", "load_units", "dispatches", "capacity_units_per_dispatch", "fixed_cost_minor_per_dispatch")
    LANE_ID_FIELD_NUMBER: _ClassVar[int]
    LOAD_UNITS_FIELD_NUMBER: _ClassVar[int]
    DISPATCHES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_UNITS_PER_DISPATCH_FIELD_NUMBER: _ClassVar[int]
    FIXED_COST_MINOR_PER_DISPATCH_FIELD_NUMBER: _ClassVar[int]
    lane_id: str
    load_units: int
    dispatches: int
    capacity_units_per_dispatch: int
    fixed_cost_minor_per_dispatch: int
    def __init__(self, lane_id: _Optional[str] = ..., load_units: _Optional[int] = ..., dispatches: _Optional[int] = ..., capacity_units_per_dispatch: _Optional[int] = ..., fixed_cost_minor_per_dispatch: _Optional[int] = ...) -> None: ...

class UnroutableReturn(_message.Message):
    __slots__ = ("return_id", "reason")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    reason: str
    def __init__(self, return_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class PlanSummary(_message.Message):
    __slots__ = ("status", "currency", "objective_minor", "bound_minor", "gap", "solve_time_s", "backend", "returns", "units", "classes", "overflow_units", "facilities", "lanes", "unroutable")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_MINOR_FIELD_NUMBER: _ClassVar[int]
    BOUND_MINOR_FIELD_NUMBER: _ClassVar[int]
    GAP_FIELD_NUMBER: _ClassVar[int]
    SOLVE_TIME_S_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    OVERFLOW_UNITS_FIELD_NUMBER: _ClassVar[int]
    FACILITIES_FIELD_NUMBER: _ClassVar[int]
    LANES_FIELD_NUMBER: _ClassVar[int]
    UNROUTABLE_FIELD_NUMBER: _ClassVar[int]
    status: PlanStatus
    currency: str
    objective_minor: int
    bound_minor: int
    gap: float
    solve_time_s: float
    backend: str
    returns: int
    units: int
    classes: int
    overflow_units: int
    facilities: _containers.RepeatedCompositeFieldContainer[FacilityUse]
    lanes: _containers.RepeatedCompositeFieldContainer[LaneUse]
    unroutable: _containers.RepeatedCompositeFieldContainer[UnroutableReturn]
    def __init__(self, status: _Optional[_Union[PlanStatus, str]] = ..., currency: _Optional[str] = ..., objective_minor: _Optional[int] = ..., bound_minor: _Optional[int] = ..., gap: _Optional[float] = ..., solve_time_s: _Optional[float] = ..., backend: _Optional[str] = ..., returns: _Optional[int] = ..., units: _Optional[int] = ..., classes: _Optional[int] = ..., overflow_units: _Optional[int] = ..., facilities: _Optional[_Iterable[_Union[FacilityUse, _Mapping]]] = ..., lanes: _Optional[_Iterable[_Union[LaneUse, _Mapping]]] = ..., unroutable: _Optional[_Iterable[_Union[UnroutableReturn, _Mapping]]] = ...) -> None: ...

class PlanJob(_message.Message):
    __slots__ = ("job_id", "state", "options", "returns", "progress", "summary", "error", "create_time")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    state: PlanState
    options: PlanOptions
    returns: int
    progress: PlanProgress
    summary: PlanSummary
    error: _status_pb2.Status
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[PlanState, str]] = ..., options: _Optional[_Union[PlanOptions, _Mapping]] = ..., returns: _Optional[int] = ..., progress: _Optional[_Union[PlanProgress, _Mapping]] = ..., summary: _Optional[_Union[PlanSummary, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPlansRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: PlanState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[PlanState, str]] = ...) -> None: ...

class ListPlansResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[PlanJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[PlanJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPlanRequest(_message.Message):
    __slots__ = ("job_id", "page_size", "page_token")
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    page_size: int
    page_token: str
    def __init__(self, job_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class PlanAssignment(_message.Message):
    __slots__ = ("return_id", "option", "facility_id", "lane_id", "cost_minor", "units")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    OPTION_FIELD_NUMBER: _ClassVar[int]
    FACILITY_ID_FIELD_NUMBER: _ClassVar[int]
    LANE_ID_FIELD_NUMBER: _ClassVar[int]
    COST_MINOR_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    option: str
    facility_id: str
    lane_id: str
    cost_minor: int
    units: int
    def __init__(self, return_id: _Optional[str] = ..., option: _Optional[str] = ..., facility_id: _Optional[str] = ..., lane_id: _Optional[str] = ..., cost_minor: _Optional[int] = ..., units: _Optional[int] = ...) -> None: ...

class GetPlanResponse(_message.Message):
    __slots__ = ("job", "assignments", "next_page_token", "total_assignments")
    JOB_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    job: PlanJob
    assignments: _containers.RepeatedCompositeFieldContainer[PlanAssignment]
    next_page_token: str
    total_assignments: int
    def __init__(self, job: _Optional[_Union[PlanJob, _Mapping]] = ..., assignments: _Optional[_Iterable[_Union[PlanAssignment, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_assignments: _Optional[int] = ...) -> None: ...

class WatchPlanRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelPlanRequest(_message.Message):
    __slots__ = ("job_id",)
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...
