# ruff: noqa: N802 (servicer methods carry the RPC names of the proto)
"""The BatchPlanning servicer: converts planning messages and delegates to :class:`PlanJobs`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
from grpc_status import rpc_status

from reroute.v1 import planning_pb2, planning_pb2_grpc
from routing.jobs import JobState, PlanJobs
from routing.plan_convert import (
    assignments_to_proto,
    check_job_id,
    job_to_proto,
    page_from_proto,
    progress_to_proto,
    submit_from_proto,
)
from routing.status import to_status

SERVICE_NAME = planning_pb2.DESCRIPTOR.services_by_name["BatchPlanning"].full_name


async def _abort(context: grpc.aio.ServicerContext[Any, Any], exc: Exception) -> None:
    # grpc-stubs lacks the aio context's abort_with_status
    await context.abort_with_status(rpc_status.to_status(to_status(exc)))  # type: ignore[attr-defined]


class BatchPlanningServicer(planning_pb2_grpc.BatchPlanningServicer):  # type: ignore[misc]
    def __init__(self, jobs: PlanJobs) -> None:
        self.jobs = jobs

    async def SubmitPlan(
        self, request: planning_pb2.SubmitPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planning_pb2.PlanJob:
        try:
            # a large batch takes a while to validate: in a thread, so the loop keeps serving
            batch, spec = await asyncio.to_thread(
                submit_from_proto,
                request,
                today=datetime.now(UTC).date(),
                network=self.jobs.router.network,
            )
            job = await self.jobs.submit(batch, spec)
            return job_to_proto(job, self.jobs.currency)
        except Exception as exc:  # every error leaves through to_status: never UNKNOWN
            await _abort(context, exc)
            raise

    async def GetPlan(
        self, request: planning_pb2.GetPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planning_pb2.GetPlanResponse:
        try:
            check_job_id(request.job_id)
            offset, size = page_from_proto(request)
            job = self.jobs.get(request.job_id)
            resp = planning_pb2.GetPlanResponse(job=job_to_proto(job, self.jobs.currency))
            if job.state is JobState.SUCCEEDED and job.plan is not None:
                items = job.plan.assignments
                resp.total_assignments = len(items)
                if size:
                    resp.assignments.extend(assignments_to_proto(items[offset : offset + size]))
                    if offset + size < len(items):
                        resp.next_page_token = str(offset + size)
            return resp
        except Exception as exc:
            await _abort(context, exc)
            raise

    async def WatchPlan(
        self, request: planning_pb2.WatchPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[planning_pb2.PlanProgress]:
        try:
            check_job_id(request.job_id)
            updates = self.jobs.watch(request.job_id)
            first = await anext(updates)
        except Exception as exc:
            await _abort(context, exc)
            raise
        yield progress_to_proto(first, self.jobs.currency)
        async for job in updates:
            yield progress_to_proto(job, self.jobs.currency)

    async def CancelPlan(
        self, request: planning_pb2.CancelPlanRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> planning_pb2.PlanJob:
        try:
            check_job_id(request.job_id)
            job = await self.jobs.cancel(request.job_id)
            return job_to_proto(job, self.jobs.currency)
        except Exception as exc:
            await _abort(context, exc)
            raise
