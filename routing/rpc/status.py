"""The one place where domain errors become gRPC statuses with google.rpc error details."""

from __future__ import annotations

import logging
import uuid

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from routing.errors import (
    DeadlinePassed,
    IdempotencyConflict,
    InvalidInput,
    LimitReached,
    NoFeasibleOption,
    NotPermitted,
    RerouteError,
    TemporarilyUnavailable,
    UnknownCaller,
    UnknownResource,
)
from routing.rpc.wire.customs import assessment_to_proto

log = logging.getLogger("reroute.status")
DOMAIN = "reroute.dev"


def _pack(detail: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(detail)  # type: ignore[arg-type]
    return packed


def to_status(exc: BaseException) -> status_pb2.Status:
    """google.rpc.Status for an exception; unknown exceptions become INTERNAL without internals."""
    if isinstance(exc, InvalidInput):  # customs, network and file errors among them
        bad = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description
                )
                for v in exc.violations
            ]
        )
        return status_pb2.Status(
            code=code_pb2.INVALID_ARGUMENT, message=str(exc)[:2000], details=[_pack(bad)]
        )
    if isinstance(exc, NoFeasibleOption):
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=v.type, subject=v.subject, description=v.description
                )
                for v in exc.violations
            ]
        )
        details = [_pack(failure)]
        if exc.partial is not None:  # what the tables do answer (a customs quote's partial)
            details.append(_pack(assessment_to_proto(exc.partial)))
        return status_pb2.Status(
            code=code_pb2.FAILED_PRECONDITION, message=str(exc)[:2000], details=details
        )
    if isinstance(exc, UnknownResource):
        info = error_details_pb2.ResourceInfo(resource_name=exc.what, description=str(exc))
        return status_pb2.Status(code=code_pb2.NOT_FOUND, message=str(exc), details=[_pack(info)])
    if isinstance(exc, IdempotencyConflict):
        info = error_details_pb2.ErrorInfo(reason="IDEMPOTENCY_KEY_REUSED", domain=DOMAIN)
        return status_pb2.Status(
            code=code_pb2.ALREADY_EXISTS, message=exc.description, details=[_pack(info)]
        )
    if isinstance(exc, UnknownCaller):
        info = error_details_pb2.ErrorInfo(reason="API_KEY_INVALID", domain=DOMAIN)
        return status_pb2.Status(
            code=code_pb2.UNAUTHENTICATED, message=str(exc), details=[_pack(info)]
        )
    if isinstance(exc, NotPermitted):
        return status_pb2.Status(code=code_pb2.PERMISSION_DENIED, message=str(exc))
    if isinstance(exc, TemporarilyUnavailable):
        details = []
        if exc.reason:
            details.append(_pack(error_details_pb2.ErrorInfo(reason=exc.reason, domain=DOMAIN)))
        return status_pb2.Status(
            code=code_pb2.UNAVAILABLE, message=exc.description[:2000], details=details
        )
    if isinstance(exc, DeadlinePassed):
        return status_pb2.Status(code=code_pb2.DEADLINE_EXCEEDED, message=str(exc)[:2000])
    if isinstance(exc, LimitReached):
        details = []
        if exc.retry_after_s is not None:
            retry = error_details_pb2.RetryInfo()
            retry.retry_delay.FromNanoseconds(max(1, int(exc.retry_after_s * 1e9)))
            details.append(_pack(retry))
        if exc.quota:
            failure = error_details_pb2.QuotaFailure(
                violations=[
                    error_details_pb2.QuotaFailure.Violation(subject=s, description=d)
                    for s, d in exc.quota
                ]
            )
            details.append(_pack(failure))
        return status_pb2.Status(
            code=code_pb2.RESOURCE_EXHAUSTED, message=exc.description, details=details
        )
    if isinstance(exc, RerouteError):
        return status_pb2.Status(code=code_pb2.FAILED_PRECONDITION, message=str(exc))
    incident = uuid.uuid4().hex[:12]
    log.error("internal error, incident %s", incident, exc_info=exc)
    return status_pb2.Status(
        code=code_pb2.INTERNAL, message=f"internal error (incident {incident})"
    )


def grpc_code(status: status_pb2.Status) -> grpc.StatusCode:
    for code in grpc.StatusCode:
        if code.value[0] == status.code:
            return code
    return grpc.StatusCode.INTERNAL
