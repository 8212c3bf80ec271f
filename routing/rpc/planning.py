# ruff: noqa: N802 (servicer methods carry the RPC names of the proto)
"""The BatchPlanning servicer: converts planning messages and delegates to :class:`PlanJobs`.

A job belongs to the tenant of the call that submitted it (the edge's ``CallInfo``; tenant
``default`` without authentication): GetPlan, WatchPlan and CancelPlan of another tenant's job
answer PERMISSION_DENIED, of an unknown id NOT_FOUND; ListPlans lists only the caller's jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc

from reroute.v1 import planning_pb2, planning_pb2_grpc
from routing.plan.jobs import JobState, PlanJobs
from routing.rpc.edge import answers_errors, current_tenant
from routing.rpc.wire.plans import (
    assignments_to_proto,
    check_job_id,
    job_to_proto,
    jobs_page_from_proto,
    jobs_page_token,
    page_from_proto,
    progress_to_proto,
    submit_from_proto,
)

SERVICE_NAME = planning_pb2.DESCRIPTOR.services_by_name["BatchPlanning"].full_name


@answers_errors(SERVICE_NAME)
class BatchPlanningServicer(planning_pb2_grpc.BatchPlanningServicer):  # type: ignore[misc]
    def __init__(self, jobs: PlanJobs) -> None:
        self.jobs = jobs

    async def SubmitPlan(
        self, request: planning_pb2.SubmitPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planning_pb2.PlanJob:
        # a large batch takes a while to validate: in a thread, so the loop keeps serving
        batch, spec = await asyncio.to_thread(
            submit_from_proto,
            request,
            today=datetime.now(UTC).date(),
            network=self.jobs.router.network,
        )
        job = await self.jobs.submit(
            batch, spec, tenant=current_tenant(), key=request.idempotency_key
        )
        return job_to_proto(job, self.jobs.currency)

    async def ListPlans(
        self, request: planning_pb2.ListPlansRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planning_pb2.ListPlansResponse:
        size, after, state = jobs_page_from_proto(request)
        tenant = current_tenant()
        jobs, cursor = await asyncio.to_thread(
            self.jobs.page, tenant=tenant, size=size, after=after, state=state
        )
        return planning_pb2.ListPlansResponse(
            jobs=[job_to_proto(j, self.jobs.currency) for j in jobs],
            next_page_token=jobs_page_token(cursor),
        )

    async def GetPlan(
        self, request: planning_pb2.GetPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planning_pb2.GetPlanResponse:
        check_job_id(request.job_id)
        offset, size = page_from_proto(request)
        job = self.jobs.get(request.job_id, tenant=current_tenant())
        resp = planning_pb2.GetPlanResponse(job=job_to_proto(job, self.jobs.currency))
        if job.state is JobState.SUCCEEDED and job.plan is not None:
            items = job.plan.assignments
            resp.total_assignments = len(items)
            if size:
                resp.assignments.extend(assignments_to_proto(items[offset : offset + size]))
                if offset + size < len(items):
                    resp.next_page_token = str(offset + size)
        return resp

    async def WatchPlan(
        self, request: planning_pb2.WatchPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[planning_pb2.PlanProgress]:
        check_job_id(request.job_id)
        updates = self.jobs.watch(request.job_id, tenant=current_tenant())
        first = await anext(updates)
        yield progress_to_proto(first, self.jobs.currency)
        async for job in updates:
            yield progress_to_proto(job, self.jobs.currency)

    async def CancelPlan(
        self, request: planning_pb2.CancelPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planning_pb2.PlanJob:
        check_job_id(request.job_id)
        job = await self.jobs.cancel(request.job_id, tenant=current_tenant())
        return job_to_proto(job, self.jobs.currency)
