"""A slim, typed client of the reroute service over HTTP (the Connect protocol of
``reroute serve --http-port N``), with the ``reroute.v1`` bindings and nothing of the server.

    from reroute_client import Client
    from reroute.v1 import routing_pb2

    with Client("http://localhost:8080", api_key="rr_...") as client:
        decision = client.route_return(request)          # a RouteReturnRequest
        print(decision.chosen.label, decision.chosen.net_cost_minor)

Errors are :class:`RerouteError` with the status ``code`` (``invalid_argument``,
``failed_precondition`` ...), the ``message``, and the google.rpc details read: the
``field_violations`` of an invalid request (field path, reason) and the ``violations`` of a
return no option can serve (type, subject, reason).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from connectrpc.errors import ConnectError
from connectrpc.protocol import ProtocolType
from google.protobuf import json_format
from google.rpc import error_details_pb2

from reroute.v1 import customs_pb2, planning_pb2, routing_pb2
from reroute.v1.planning_connect import BatchPlanningClientSync
from reroute.v1.routing_connect import ReturnsRoutingClientSync

__all__ = ["Client", "RerouteError", "__version__"]
__version__ = "0.1.0"


@dataclass
class RerouteError(Exception):
    """An error answer of the service."""

    code: str  # the Connect code: invalid_argument, failed_precondition, unauthenticated ...
    message: str
    field_violations: list[tuple[str, str]] = field(default_factory=list)  # (field, reason)
    violations: list[tuple[str, str, str]] = field(default_factory=list)  # (type, subject, why)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    @classmethod
    def from_connect(cls, err: ConnectError) -> RerouteError:
        out = cls(err.code.value, err.message)
        for detail in err.details:
            bad = error_details_pb2.BadRequest()
            failure = error_details_pb2.PreconditionFailure()
            if detail.Unpack(bad):
                out.field_violations += [(v.field, v.description) for v in bad.field_violations]
            elif detail.Unpack(failure):
                out.violations += [(v.type, v.subject, v.description) for v in failure.violations]
        return out


class Client:
    """The reroute.v1 methods over HTTP. ``base_url`` is the server's HTTP edge
    (``http://host:port``); ``api_key`` is sent as ``authorization: Bearer``; ``timeout_s``
    is each call's deadline; ``grpc_web`` uses gRPC-Web instead of the Connect protocol."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 30.0,
        grpc_web: bool = False,
    ) -> None:
        protocol = ProtocolType.GRPC_WEB if grpc_web else ProtocolType.CONNECT
        timeout_ms = int(timeout_s * 1000)
        self._routing = ReturnsRoutingClientSync(
            base_url.rstrip("/"), protocol=protocol, timeout_ms=timeout_ms
        )
        self._planning = BatchPlanningClientSync(
            base_url.rstrip("/"), protocol=protocol, timeout_ms=timeout_ms
        )
        self._headers: Mapping[str, str] = {"authorization": f"Bearer {api_key}"} if api_key else {}

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._routing.close()
        self._planning.close()

    # -- ReturnsRouting --------------------------------------------------------------------

    def route_return(
        self, request: routing_pb2.RouteReturnRequest | routing_pb2.Return
    ) -> routing_pb2.RouteDecision:
        """Where one return should go: the decision (chosen option, breakdown, alternatives)."""
        if isinstance(request, routing_pb2.Return):
            request = routing_pb2.RouteReturnRequest(customer_return=request)
        try:
            return self._routing.route_return(request, headers=self._headers).decision
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None

    def route_return_json(self, document: str | Mapping[str, object]) -> routing_pb2.RouteDecision:
        """``route_return`` of a RouteReturnRequest (or bare Return) in the proto JSON mapping,
        e.g. the repository's examples/return.json."""
        request = routing_pb2.RouteReturnRequest()
        data = json.loads(document) if isinstance(document, str) else dict(document)
        if "customer_return" not in data and "customerReturn" not in data:
            data = {"customer_return": data}
        json_format.ParseDict(data, request)
        return self.route_return(request)

    def quote_customs(
        self, request: customs_pb2.QuoteCustomsRequest
    ) -> customs_pb2.CustomsAssessment:
        try:
            return self._routing.quote_customs(request, headers=self._headers).assessment
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None

    def get_decision(self, decision_id: str) -> routing_pb2.GetDecisionResponse:
        try:
            return self._routing.get_decision(
                routing_pb2.GetDecisionRequest(decision_id=decision_id), headers=self._headers
            )
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None

    def list_decisions(
        self, *, page_size: int = 0, page_token: str = ""
    ) -> routing_pb2.ListDecisionsResponse:
        try:
            return self._routing.list_decisions(
                routing_pb2.ListDecisionsRequest(page_size=page_size, page_token=page_token),
                headers=self._headers,
            )
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None

    # -- BatchPlanning ---------------------------------------------------------------------

    def submit_plan(self, request: planning_pb2.SubmitPlanRequest) -> planning_pb2.PlanJob:
        try:
            return self._planning.submit_plan(request, headers=self._headers)
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None

    def get_plan(
        self, job_id: str, *, page_size: int = 0, page_token: str = ""
    ) -> planning_pb2.GetPlanResponse:
        request = planning_pb2.GetPlanRequest(
            job_id=job_id, page_size=page_size, page_token=page_token
        )
        try:
            return self._planning.get_plan(request, headers=self._headers)
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None

    def watch_plan(self, job_id: str) -> Iterator[planning_pb2.PlanProgress]:
        """The job's progress as it happens, until it ends."""
        request = planning_pb2.WatchPlanRequest(job_id=job_id)
        try:
            yield from self._planning.watch_plan(request, headers=self._headers)
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None

    def cancel_plan(self, job_id: str) -> planning_pb2.PlanJob:
        try:
            return self._planning.cancel_plan(
                planning_pb2.CancelPlanRequest(job_id=job_id), headers=self._headers
            )
        except ConnectError as err:
            raise RerouteError.from_connect(err) from None
