"""The stored forms of what the store keeps: our own, versioned, never the wire message.

A stored decision is one **format byte**, then the ``routing.decide.domain.Decision`` as
MessagePack, written and read by msgspec (typed decoding straight into the frozen
dataclasses, whose ``__post_init__`` runs as usual). Format 1 (``FORMAT_V1``):

- every dataclass (Decision, Option, Shipment, ItemAllocation, Leg, CostTerm, and customs'
  Assessment, Reclaim, Document, RuleRef, FxConversion) is a map keyed by its field names;
- enums are their values (``"local_3pl"``, ``"parcel_carriage"``, ``"high"``), dates ISO 8601
  strings, ``None`` nil, tuples arrays, integers and strings as they are;
- the derived ``net_cost_minor`` of Shipment and Option is written, and recomputed on reading.

So the stored form is the domain model's shape, not the public proto: the wire contract can
change without touching the database, and a domain change that would change the stored form is
caught by ``tests/routing/store/test_codec.py`` (a golden blob of format 1 must still decode to
the same Decision). Such a change takes a new format byte, a decoder for the old one kept
beside it, and a migration when old rows must be rewritten.

Plan jobs are stored the same way, one blob per column of ``plan_jobs`` (format 1 too):
``spec`` a ``routing.plan.jobs.PlanSpec``, ``progress`` a ``routing.solver.problem.Progress``,
``error`` a ``routing.plan.jobs.JobError``, ``plan`` a ``routing.plan.planner.BatchPlan`` (its
``PlanResult.gap``, derived, is written and recomputed on reading). Until migration 0005 they
were pickles.

A blob of another format is refused with :class:`StoredFormatError` (which format, what this
build reads, what to do: a legacy wire message or pickle names the migration that rewrites it);
so is a blob of the right format that does not decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Generic, TypeVar

import msgspec

from routing.decide.domain import Decision
from routing.errors import ConfigurationError
from routing.plan.jobs import JobError, PlanSpec
from routing.plan.planner import BatchPlan
from routing.solver.problem import Progress

__all__ = [
    "DECISIONS",
    "FORMAT_V1",
    "JOB_ERRORS",
    "JOB_PLANS",
    "JOB_PROGRESS",
    "JOB_SPECS",
    "StoredForm",
    "StoredFormatError",
    "decode_decision",
    "encode_decision",
]

T = TypeVar("T")

FORMAT_V1: Final = 1
_MIGRATE = "run reroute db upgrade"
# first bytes of the legacy forms, which the migrations rewrote
_WIRE_HINT: Final = {
    # field 1 of a reroute.v1.RouteDecision (decision_id, length-delimited) is tagged 0x0A
    0x0A: "it looks like a legacy reroute.v1 wire message, which migration 0004 rewrites:"
    f" {_MIGRATE}"
}
_PICKLE_HINT: Final = {
    0x80: f"it looks like a legacy pickle, which migration 0005 rewrites: {_MIGRATE}"
}


class StoredFormatError(ConfigurationError):
    """A stored blob this build cannot read: written by a newer server, left in a database not
    migrated, or damaged. The message names what was stored, which format, and what to do."""


class StoredForm(Generic[T]):
    """One kind of stored object (``kind`` names it in errors): ``encode`` prefixes the format
    byte, ``decode`` checks it and decodes into ``type_``. ``legacy`` maps the first byte of
    a form from before this one to what to say about it."""

    def __init__(
        self,
        kind: str,
        type_: type[T],
        *,
        version: int = FORMAT_V1,
        legacy: Mapping[int, str] | None = None,
    ) -> None:
        if not 0 < version < 256:
            raise ValueError(f"a format is one byte (1-255), got {version}")
        self.kind = kind
        self.version = version
        self._legacy = dict(legacy or {})
        self._header = bytes((version,))
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder = msgspec.msgpack.Decoder(type_)

    def encode(self, obj: T) -> bytes:
        return self._header + self._encoder.encode(obj)

    def decode(self, blob: bytes) -> T:
        if not blob:
            raise StoredFormatError(f"stored {self.kind}: empty (no format byte)")
        version = blob[0]
        if version != self.version:
            raise StoredFormatError(self._unknown(version))
        try:
            return self._decoder.decode(memoryview(blob)[1:])
        except msgspec.DecodeError as exc:  # ValidationError, __post_init__'s ValueError included
            raise StoredFormatError(
                f"stored {self.kind} (format {version}) cannot be read: {exc}"
            ) from exc

    def is_stored_form(self, blob: bytes) -> bool:
        """Whether ``blob`` is in this form's format (by its first byte)."""
        return blob[:1] == self._header

    def _unknown(self, version: int) -> str:
        hint = self._legacy.get(
            version,
            "a newer server wrote it (upgrade this one), or the database was not migrated"
            f" ({_MIGRATE})",
        )
        return (
            f"stored {self.kind}: unknown format {version} (0x{version:02x});"
            f" this build reads format {self.version}: {hint}"
        )


DECISIONS: Final = StoredForm("decision", Decision, legacy=_WIRE_HINT)
JOB_SPECS: Final = StoredForm("plan job spec", PlanSpec, legacy=_PICKLE_HINT)
JOB_PROGRESS: Final = StoredForm("plan job progress", Progress, legacy=_PICKLE_HINT)
JOB_ERRORS: Final = StoredForm("plan job error", JobError, legacy=_PICKLE_HINT)
JOB_PLANS: Final = StoredForm("plan job plan", BatchPlan, legacy=_PICKLE_HINT)


def encode_decision(decision: Decision) -> bytes:
    """The stored form of ``decision`` (format byte + MessagePack)."""
    return DECISIONS.encode(decision)


def decode_decision(blob: bytes) -> Decision:
    """The Decision stored as ``blob``; StoredFormatError when it cannot be read."""
    return DECISIONS.decode(blob)
