"""A batch: the planner, decomposition into independent parts, executors, plan jobs.

:mod:`routing.plan.planner` turns a batch of returns into one solver problem (each return's
options from the router) and reads the plan back; :mod:`~routing.plan.decompose` solves
independent parts apart; :mod:`~routing.plan.executor` runs them in this process, a process
pool or on Ray; :mod:`~routing.plan.jobs` keeps and runs plan jobs (the JobStore protocol).

May import: ``routing.decide``, ``routing.solver``, ``routing.errors``, ``routing.observe``,
``hubs``, ``customs``. Never a store implementation, the edge or the wire contract.
"""

from __future__ import annotations

from routing.plan.executor import Executor, ExecutorError, SerialExecutor, make_executor
from routing.plan.jobs import (
    DEFAULT_TENANT,
    Job,
    JobCursor,
    JobError,
    JobState,
    JobStore,
    PlanBatch,
    PlanJobs,
    PlanSpec,
    QueueLimits,
)
from routing.plan.planner import (
    MAX_TIME_LIMIT_S,
    Assigned,
    BatchPlan,
    Built,
    PlanConfig,
    build_problem,
    plan_batch,
    solve_built,
)

__all__ = [
    "DEFAULT_TENANT",
    "MAX_TIME_LIMIT_S",
    "Assigned",
    "BatchPlan",
    "Built",
    "Executor",
    "ExecutorError",
    "Job",
    "JobCursor",
    "JobError",
    "JobState",
    "JobStore",
    "PlanBatch",
    "PlanConfig",
    "PlanJobs",
    "PlanSpec",
    "QueueLimits",
    "SerialExecutor",
    "build_problem",
    "make_executor",
    "plan_batch",
    "solve_built",
]
