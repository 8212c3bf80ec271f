"""Each package's public surface is pinned: ``__all__`` lists exactly these names and each one
resolves. A name added or removed is a decision made here, not an accident of an import."""

from __future__ import annotations

import importlib
import importlib.resources

import pytest

SURFACE: dict[str, set[str]] = {
    "routing": set(),
    "routing.errors": {
        "ConfigurationError",
        "DeadlinePassed",
        "FieldViolation",
        "IdempotencyConflict",
        "InvalidInput",
        "LimitReached",
        "NoFeasibleOption",
        "NotPermitted",
        "PreconditionViolation",
        "RerouteError",
        "SolverNotInstalled",
        "TemporarilyUnavailable",
        "UnknownCaller",
        "UnknownResource",
    },
    "routing.decide": {
        "CompiledNetwork",
        "Constraints",
        "CostTerm",
        "Decision",
        "DestinationKind",
        "Exclusion",
        "FxConverter",
        "Item",
        "ItemAllocation",
        "Leg",
        "LegKind",
        "LossGuard",
        "MerchantPolicy",
        "Option",
        "PlanChoice",
        "QuoteInput",
        "Return",
        "Route",
        "Router",
        "Shipment",
        "Term",
        "quote",
    },
    "routing.plan": {
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
    },
    "routing.store": {
        "AsyncDecisionStore",
        "CapacityTaken",
        "DatabaseConfigError",
        "DecisionPage",
        "DecisionStore",
        "MemoryDecisionStore",
        "SqlDecisionStore",
        "SqlJobStore",
        "StoredDecision",
        "database_url",
        "make_engine",
        "upgrade",
    },
    "routing.cli": {"main"},
    "routing.rpc": {
        "AppConfig",
        "BatchPlanningServicer",
        "ReturnsRoutingServicer",
        "RoutingApp",
        "Running",
        "ServerConfig",
        "ServerConfigError",
        "create_server",
        "serve",
        "shutdown",
    },
    "routing.rpc.wire": {
        "customs",
        "decisions",
        "enums",
        "plans",
        "returns",
        "scalars",
        "violations",
    },
    "routing.batches": {
        "examples",
        "generate",
        "generator_config",
        "io",
    },
    "hubs": {
        "CarrierService",
        "ConditionGrade",
        "CustomerRegion",
        "Disposition",
        "Facility",
        "FacilityKind",
        "LaneGraph",
        "LinehaulLane",
        "LocalDisposal",
        "Mode",
        "Network",
        "NetworkError",
        "NetworkErrors",
        "Path",
        "Policy",
        "RateCard",
        "RecoveryRates",
        "RefundTrigger",
        "Scope",
        "ServiceKind",
        "Source",
        "check_network",
        "default_network",
        "distance_km",
        "haversine_km",
        "load_network",
        "loads_network",
        "network_from_mapping",
        "summarize_network",
    },
    "routing.solver": {
        "Assignment",
        "Backend",
        "CapacityRow",
        "ClassOption",
        "DispatchLane",
        "Evaluation",
        "InstanceFormatError",
        "PlanProblem",
        "PlanResult",
        "Progress",
        "ReturnClass",
        "SplitCandidate",
        "SplitParcel",
        "SscflpInstance",
        "Status",
        "decimal_scale",
        "greedy",
        "load_optima",
        "load_sscflp",
        "read_sscflp",
        "relative_gap",
        "require_backend",
        "solve",
        "solve_split",
    },
    "customs": {
        "Amounts",
        "Assessment",
        "Channel",
        "Claimant",
        "Confidence",
        "Crossing",
        "CustomsAssessor",
        "CustomsEngine",
        "CustomsError",
        "CustomsItem",
        "CustomsNotCovered",
        "Document",
        "FieldViolation",
        "FxConversion",
        "FxTable",
        "ImportRecord",
        "InvalidInput",
        "PreconditionViolation",
        "Reclaim",
        "RerouteError",
        "ReturnReason",
        "RuleBook",
        "RuleDataError",
        "RuleRef",
        "assess",
        "default_engine",
        "default_fx",
        "format_minor",
        "is_country",
        "is_currency",
        "is_hs_code",
        "is_subdivision",
        "is_territory",
        "load_fx",
        "load_rulebook",
        "to_minor",
    },
    "routing.whatif": {
        "ProgressBar",
        "Scenario",
        "ScenarioError",
        "load_scenario",
        "run_scenario",
        "write_report",
    },
}


@pytest.mark.parametrize("package", sorted(SURFACE))
def test_public_names_are_pinned(package: str) -> None:
    """``__all__`` equals the pinned set, and every name in it resolves: an attribute, or a
    submodule (routing.batches lists its modules: importing them from the package would run
    them twice under ``python -m routing.batches.io``)."""
    module = importlib.import_module(package)
    exported = set(getattr(module, "__all__", ()))
    assert exported == SURFACE[package]
    missing = []
    for name in sorted(exported):
        if not hasattr(module, name):
            try:
                importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError:
                missing.append(name)
    assert missing == []


@pytest.mark.parametrize("package", ["routing", "customs", "hubs"])
def test_packages_ship_type_information(package: str) -> None:
    """PEP 561: the installed package says it is typed."""
    module = importlib.import_module(package)
    assert module.__file__ is not None
    assert (importlib.resources.files(package) / "py.typed").is_file()
