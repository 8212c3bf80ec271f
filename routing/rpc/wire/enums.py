"""Proto enums and their domain mirrors, one :class:`EnumMap` per enum of ``reroute.v1``.

Every domain member has exactly one proto value and every proto value but ``*_UNSPECIFIED``
has exactly one domain member, checked when this module is imported. Parsing rejects
``*_UNSPECIFIED`` and numbers this build does not know.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Final, Generic, TypeVar

from customs.api import Channel, Claimant, Confidence, ReturnReason
from hubs.model import ConditionGrade, Disposition, Mode, RefundTrigger
from reroute.v1 import common_pb2, customs_pb2, routing_pb2
from routing.decide.domain import DestinationKind, LegKind, Term, Violations

__all__ = [
    "CHANNELS",
    "CLAIMANTS",
    "CONFIDENCES",
    "DESTINATION_KINDS",
    "DISPOSITIONS",
    "GRADES",
    "LEG_KINDS",
    "MODES",
    "REASONS",
    "REFUND_TRIGGERS",
    "TERMS",
    "EnumMap",
]

D = TypeVar("D", bound=enum.Enum)
P = TypeVar("P", bound=int)


class EnumMap(Generic[D, P]):
    """A bijection between a domain enum and the values of its proto mirror but ``*_UNSPECIFIED``.

    Built from an explicit table; raises ``TypeError`` at import time when either side has a
    value the other lacks, so adding a member on one side only cannot go unnoticed.
    """

    def __init__(
        self, domain: type[D], proto_name: str, proto_values: Iterable[int], table: Mapping[D, P]
    ) -> None:
        self.domain = domain
        self.proto_name = proto_name
        self._to_proto: dict[D, P] = dict(table)
        self._from_proto: dict[int, D] = {int(p): d for d, p in table.items()}
        wanted = set(proto_values) - {0}
        if (
            set(self._to_proto) != set(domain)
            or set(self._from_proto) != wanted
            or len(wanted) != len(table)
        ):
            raise TypeError(
                f"{domain.__name__} and reroute.v1.{proto_name} are not mirrored one to one"
            )

    def to_proto(self, value: D) -> P:
        return self._to_proto[value]

    def from_proto(self, number: int) -> D:
        """The domain member of a proto value; ``ValueError`` for UNSPECIFIED or unknown numbers."""
        try:
            return self._from_proto[number]
        except KeyError:
            raise ValueError(f"no {self.proto_name} value {number}") from None

    def parse(self, v: Violations, path: str, number: int) -> D | None:
        """Like :meth:`from_proto`, but records a violation at ``path`` and returns None."""
        member = self._from_proto.get(number)
        if member is None:
            if number == 0:
                v.add(path, f"is required ({self.proto_name} unspecified)")
            else:
                v.add(path, f"unknown {self.proto_name} value {number}")
        return member


_c = common_pb2
_k = customs_pb2
_r = routing_pb2

GRADES: Final = EnumMap(
    ConditionGrade,
    "ConditionGrade",
    _c.ConditionGrade.values(),
    {
        ConditionGrade.A: _c.CONDITION_GRADE_A,
        ConditionGrade.B: _c.CONDITION_GRADE_B,
        ConditionGrade.C: _c.CONDITION_GRADE_C,
        ConditionGrade.D: _c.CONDITION_GRADE_D,
    },
)
REASONS: Final = EnumMap(
    ReturnReason,
    "ReturnReason",
    _c.ReturnReason.values(),
    {
        ReturnReason.CHANGED_MIND: _c.RETURN_REASON_CHANGED_MIND,
        ReturnReason.WRONG_SIZE: _c.RETURN_REASON_WRONG_SIZE,
        ReturnReason.DEFECTIVE: _c.RETURN_REASON_DEFECTIVE,
        ReturnReason.DAMAGED_IN_TRANSIT: _c.RETURN_REASON_DAMAGED_IN_TRANSIT,
        ReturnReason.NOT_AS_DESCRIBED: _c.RETURN_REASON_NOT_AS_DESCRIBED,
        ReturnReason.WRONG_ITEM: _c.RETURN_REASON_WRONG_ITEM,
    },
)
DISPOSITIONS: Final = EnumMap(
    Disposition,
    "Disposition",
    _c.Disposition.values(),
    {
        Disposition.RESTOCK: _c.DISPOSITION_RESTOCK,
        Disposition.RESELL_LOCAL: _c.DISPOSITION_RESELL_LOCAL,
        Disposition.REFURBISH: _c.DISPOSITION_REFURBISH,
        Disposition.LIQUIDATE: _c.DISPOSITION_LIQUIDATE,
        Disposition.RECYCLE: _c.DISPOSITION_RECYCLE,
        Disposition.RETURNLESS: _c.DISPOSITION_RETURNLESS,
        Disposition.DONATE: _c.DISPOSITION_DONATE,
    },
)
MODES: Final = EnumMap(
    Mode,
    "TransportMode",
    _c.TransportMode.values(),
    {
        Mode.VAN: _c.TRANSPORT_MODE_VAN,
        Mode.ROAD: _c.TRANSPORT_MODE_ROAD,
        Mode.AIR: _c.TRANSPORT_MODE_AIR,
        Mode.OCEAN: _c.TRANSPORT_MODE_OCEAN,
        Mode.RAIL: _c.TRANSPORT_MODE_RAIL,
    },
)
CONFIDENCES: Final = EnumMap(
    Confidence,
    "Confidence",
    _k.Confidence.values(),
    {
        Confidence.HIGH: _k.CONFIDENCE_HIGH,
        Confidence.MEDIUM: _k.CONFIDENCE_MEDIUM,
        Confidence.LOW: _k.CONFIDENCE_LOW,
    },
)
CLAIMANTS: Final = EnumMap(
    Claimant,
    "Claimant",
    _k.Claimant.values(),
    {
        Claimant.IMPORTER_OF_RECORD: _k.CLAIMANT_IMPORTER_OF_RECORD,
        Claimant.DECLARANT: _k.CLAIMANT_DECLARANT,
        Claimant.SELLER: _k.CLAIMANT_SELLER,
        Claimant.CONSUMER: _k.CLAIMANT_CONSUMER,
    },
)
DESTINATION_KINDS: Final = EnumMap(
    DestinationKind,
    "DestinationKind",
    _r.DestinationKind.values(),
    {
        DestinationKind.LOCAL_3PL: _r.DESTINATION_KIND_LOCAL_3PL,
        DestinationKind.HUB: _r.DESTINATION_KIND_HUB,
        DestinationKind.ORIGIN: _r.DESTINATION_KIND_ORIGIN,
        DestinationKind.NONE: _r.DESTINATION_KIND_NONE,
    },
)
LEG_KINDS: Final = EnumMap(
    LegKind,
    "LegKind",
    _r.LegKind.values(),
    {LegKind.PARCEL: _r.LEG_KIND_PARCEL, LegKind.LINEHAUL: _r.LEG_KIND_LINEHAUL},
)
TERMS: Final = EnumMap(
    Term,
    "Term",
    _r.Term.values(),
    {
        Term.PARCEL_CARRIAGE: _r.TERM_PARCEL_CARRIAGE,
        Term.FUEL_SURCHARGE: _r.TERM_FUEL_SURCHARGE,
        Term.CARRIER_FEES: _r.TERM_CARRIER_FEES,
        Term.LINEHAUL_SHARE: _r.TERM_LINEHAUL_SHARE,
        Term.HANDLING: _r.TERM_HANDLING,
        Term.DISPOSITION_COST: _r.TERM_DISPOSITION_COST,
        Term.DUTY_DUE: _r.TERM_DUTY_DUE,
        Term.IMPORT_VAT_DUE: _r.TERM_IMPORT_VAT_DUE,
        Term.DUTY_RECLAIM: _r.TERM_DUTY_RECLAIM,
        Term.VAT_RECLAIM: _r.TERM_VAT_RECLAIM,
        Term.RECOVERY_VALUE: _r.TERM_RECOVERY_VALUE,
        Term.REFUND_DELAY: _r.TERM_REFUND_DELAY,
        Term.RESALE_DELAY: _r.TERM_RESALE_DELAY,
        Term.CO2E: _r.TERM_CO2E,
    },
)
REFUND_TRIGGERS: Final = EnumMap(
    RefundTrigger,
    "RefundTrigger",
    _r.RefundTrigger.values(),
    {
        RefundTrigger.FIRST_SCAN: _r.REFUND_TRIGGER_FIRST_SCAN,
        RefundTrigger.RECEIPT: _r.REFUND_TRIGGER_RECEIPT,
        RefundTrigger.GRADED: _r.REFUND_TRIGGER_GRADED,
    },
)
CHANNELS: Final = EnumMap(
    Channel,
    "Channel",
    _k.Channel.values(),
    {
        Channel.POSTAL: _k.CHANNEL_POSTAL,
        Channel.COURIER: _k.CHANNEL_COURIER,
        Channel.FREIGHT: _k.CHANNEL_FREIGHT,
    },
)
