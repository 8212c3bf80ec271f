"""The one exception tree of reroute, named after what went wrong in the domain.

Every error raised on purpose, in ``customs``, ``hubs`` or any layer of ``routing``, derives
from :class:`RerouteError` (defined in :mod:`customs.errors`, the package every other one
imports). The edge maps each branch to one gRPC status in one place
(:mod:`routing.rpc.status`); the CLI maps them to exit codes. Anything else that escapes is a
bug: INTERNAL on the wire, with an incident id and nothing of its internals. ::

    RerouteError
    ├── InvalidInput                 input breaks a rule; each violation names field + reason
    │   ├── CustomsError             customs.api: a crossing or item customs cannot read
    │   │   └── CustomsNotCovered    valid, but the rule tables do not cover it (yet)
    │   │       └── VatNotCovered    customs.duty: only the import VAT (partial keeps duty)
    │   ├── NetworkError             hubs.model: a network definition, by key
    │   │   └── NetworkErrors        hubs.reading: every problem of one network file
    │   ├── TomlError                customs.toml_reader: a TOML document, by file: table.key
    │   ├── RuleDataError            customs.tables: a customs rule table, by file/row/key
    │   ├── BatchError               routing.batches.schema: a batch file, by row and field
    │   ├── GeneratorConfigError     routing.batches.generator_config: generator.toml, by key
    │   ├── ScenarioError            routing.whatif.scenario: a scenario, by variant and key
    │   └── InstanceFormatError      routing.solver.instances: an SSCFLP instance, by line
    ├── BadCell                      routing.batches.cells: a cell of the wrong type (row errors)
    ├── NoFeasibleOption             valid input, but nothing can carry it out (why, per option)
    │   └── ClaimRefused             routing.store.claims: a claim's lifecycle forbids the move
    ├── CapacityTaken                routing.store.decisions: a hold no longer fits (retried)
    ├── UnknownResource              no such decision, job or key
    ├── IdempotencyConflict          an idempotency key reused for another request
    ├── UnknownCaller                no credentials, or ones that name no tenant
    ├── NotPermitted                 the caller may not touch this (another tenant's)
    ├── TemporarilyUnavailable       not now, through no fault of the request: retry
    ├── DeadlinePassed               the call's deadline passed before its work was kept
    ├── LimitReached                 a rate or size limit; ``retry_after_s`` when waiting helps
    ├── UsageError                   routing.cli.flags: a command-line flag, named
    └── ConfigurationError           the operator's setup cannot be used (names the setting)
        ├── ExecutorError            routing.plan.executor: workers, Ray
        ├── DatabaseConfigError      routing.store.database: URL, data directory
        ├── StoredFormatError        routing.store.codec: a stored blob this build cannot read
        ├── ServerConfigError        routing.rpc.server: TLS files, network, database
        ├── ClientConfigError        routing.cli.client: TLS files, key
        └── SolverNotInstalled       routing.solver.backends: an optional solver (CBC) missing
"""

from __future__ import annotations

from customs.api import Assessment
from customs.errors import FieldViolation, InvalidInput, PreconditionViolation, RerouteError

__all__ = [
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
]


class NoFeasibleOption(RerouteError):
    """The input is valid but nothing can carry it out (no carrier on the lane, too heavy, SLA).

    ``partial`` is what can still be answered, when there is such a thing: a customs quote
    whose import VAT (or import rules) the tables do not hold keeps its border, duty, relief,
    reclaims and documents (``customs.CustomsNotCovered.partial``)."""

    def __init__(
        self, violations: list[PreconditionViolation], *, partial: Assessment | None = None
    ) -> None:
        if not violations:
            raise ValueError("NoFeasibleOption needs at least one violation")
        self.violations = tuple(violations)
        self.partial = partial
        super().__init__(
            "no feasible option: "
            + "; ".join(f"{v.type} ({v.subject}): {v.description}" for v in violations)
        )


class UnknownResource(RerouteError):
    """No such decision, job or key (for this caller)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"not found: {what}")
        self.what = what


class IdempotencyConflict(RerouteError):
    """An idempotency key reused with a different request."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class UnknownCaller(RerouteError):
    """No credentials, or credentials that do not identify a tenant."""


class NotPermitted(RerouteError):
    """The caller is known but may not touch this resource (another tenant's)."""


class TemporarilyUnavailable(RerouteError):
    """The service could not do it now, through no fault of the request: trying again (as
    the description says) can succeed. ``reason`` is a machine-readable UPPER_SNAKE word."""

    def __init__(self, description: str, *, reason: str = "") -> None:
        super().__init__(description)
        self.description = description
        self.reason = reason


class DeadlinePassed(RerouteError):
    """The caller's deadline passed (or was too close to answer in time) before the work was
    kept: nothing was stored, so the caller, who sees DEADLINE_EXCEEDED, may simply retry."""


class LimitReached(RerouteError):
    """A limit was reached (rate, stream size, queued plan work); ``retry_after_s`` when
    waiting helps; ``quota`` names each quota passed as (subject, description)."""

    def __init__(
        self,
        description: str,
        *,
        retry_after_s: float | None = None,
        quota: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after_s = retry_after_s
        self.quota = quota


class ConfigurationError(RerouteError):
    """The operator's setup (a flag, a file, an environment variable) cannot be used; the
    message names the setting and why."""


class SolverNotInstalled(ConfigurationError):
    """A solver backend whose library this installation lacks (an optional extra); the
    message says how to install it."""
