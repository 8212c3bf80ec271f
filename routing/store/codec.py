"""The stored form of what the store keeps: our own, versioned, never the wire message.

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

A blob of another format is refused with :class:`StoredFormatError` (which format, what this
build reads, what to do); so is a blob of the right format that does not decode.
"""

from __future__ import annotations

from typing import Final, Generic, TypeVar

import msgspec

from routing.decide.domain import Decision
from routing.errors import ConfigurationError

__all__ = [
    "DECISIONS",
    "FORMAT_V1",
    "StoredForm",
    "StoredFormatError",
    "decode_decision",
    "encode_decision",
]

T = TypeVar("T")

FORMAT_V1: Final = 1
# the first byte of a legacy row (migration 0004 rewrites them): field 1 of a
# reroute.v1.RouteDecision (decision_id, length-delimited) is tagged 0x0A
_LEGACY_PROTO = 0x0A


class StoredFormatError(ConfigurationError):
    """A stored blob this build cannot read: written by a newer server, left in a database not
    migrated, or damaged. The message names what was stored, which format, and what to do."""


class StoredForm(Generic[T]):
    """One kind of stored object (``kind`` names it in errors): ``encode`` prefixes the format
    byte, ``decode`` checks it and decodes into ``type_``."""

    def __init__(self, kind: str, type_: type[T], *, version: int = FORMAT_V1) -> None:
        if not 0 < version < 256:
            raise ValueError(f"a format is one byte (1-255), got {version}")
        self.kind = kind
        self.version = version
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
        except msgspec.DecodeError as exc:  # ValidationError included
            raise StoredFormatError(
                f"stored {self.kind} (format {version}) cannot be read: {exc}"
            ) from exc

    def _unknown(self, version: int) -> str:
        hint = (
            "a newer server wrote it (upgrade this one), or the database was not migrated"
            " (reroute db upgrade)"
        )
        if version == _LEGACY_PROTO:
            hint = (
                "it looks like a legacy reroute.v1 wire message, which migration 0004 rewrites:"
                " run reroute db upgrade"
            )
        return (
            f"stored {self.kind}: unknown format {version} (0x{version:02x});"
            f" this build reads format {self.version}: {hint}"
        )


DECISIONS: Final = StoredForm("decision", Decision)


def encode_decision(decision: Decision) -> bytes:
    """The stored form of ``decision`` (format byte + MessagePack)."""
    return DECISIONS.encode(decision)


def decode_decision(blob: bytes) -> Decision:
    """The Decision stored as ``blob``; StoredFormatError when it cannot be read."""
    return DECISIONS.decode(blob)
