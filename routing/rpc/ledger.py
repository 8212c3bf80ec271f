# ruff: noqa: N802 (servicer methods carry the RPC names of the proto)
"""The ReclaimLedger servicer: claims of the caller's tenant, listed and moved along their
lifecycle (routing.store.claims). Another tenant's claim answers PERMISSION_DENIED, an unknown
one NOT_FOUND, a move the lifecycle refuses FAILED_PRECONDITION (type CLAIM_STATE)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import grpc

from reroute.v1 import claims_pb2, claims_pb2_grpc
from routing.rpc.edge import answers_errors, current_tenant
from routing.rpc.wire.claims import (
    check_claim_id,
    claim_to_proto,
    filter_from_proto,
    update_from_proto,
)
from routing.store.ledger import SqlClaimLedger

SERVICE_NAME = claims_pb2.DESCRIPTOR.services_by_name["ReclaimLedger"].full_name
T = TypeVar("T")


def _today() -> date:
    return datetime.now(UTC).date()


@answers_errors(SERVICE_NAME)
class ReclaimLedgerServicer(claims_pb2_grpc.ReclaimLedgerServicer):  # type: ignore[misc]
    def __init__(self, ledger: SqlClaimLedger) -> None:
        self.ledger = ledger

    async def _off_loop(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, work)

    async def ListClaims(
        self, request: claims_pb2.ListClaimsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> claims_pb2.ListClaimsResponse:
        flt, size = filter_from_proto(request)
        tenant, now = current_tenant(), datetime.now(UTC)
        page = await self._off_loop(
            lambda: self.ledger.page(
                tenant, flt, today=now.date(), size=size, token=request.page_token
            )
        )
        response = claims_pb2.ListClaimsResponse(
            claims=[claim_to_proto(c, now.date()) for c in page.items],
            next_page_token=page.next_token,
        )
        response.as_of.FromDatetime(now)
        return response

    async def GetClaim(
        self, request: claims_pb2.GetClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> claims_pb2.Claim:
        check_claim_id(request.claim_id)
        tenant = current_tenant()
        claim = await self._off_loop(lambda: self.ledger.get(tenant, request.claim_id))
        return claim_to_proto(claim, _today())

    async def UpdateClaim(
        self, request: claims_pb2.UpdateClaimRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> claims_pb2.Claim:
        change = update_from_proto(request)
        tenant, today = current_tenant(), _today()
        claim = await self._off_loop(
            lambda: self.ledger.update(tenant, request.claim_id, change, today=today)
        )
        return claim_to_proto(claim, today)
