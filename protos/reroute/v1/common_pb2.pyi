from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ConditionGrade(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONDITION_GRADE_UNSPECIFIED: _ClassVar[ConditionGrade]
    CONDITION_GRADE_A: _ClassVar[ConditionGrade]
    CONDITION_GRADE_B: _ClassVar[ConditionGrade]
    CONDITION_GRADE_C: _ClassVar[ConditionGrade]
    CONDITION_GRADE_D: _ClassVar[ConditionGrade]

class ReturnReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETURN_REASON_UNSPECIFIED: _ClassVar[ReturnReason]
    RETURN_REASON_CHANGED_MIND: _ClassVar[ReturnReason]
    RETURN_REASON_WRONG_SIZE: _ClassVar[ReturnReason]
    RETURN_REASON_DEFECTIVE: _ClassVar[ReturnReason]
    RETURN_REASON_DAMAGED_IN_TRANSIT: _ClassVar[ReturnReason]
    RETURN_REASON_NOT_AS_DESCRIBED: _ClassVar[ReturnReason]
    RETURN_REASON_WRONG_ITEM: _ClassVar[ReturnReason]

class Disposition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPOSITION_UNSPECIFIED: _ClassVar[Disposition]
    DISPOSITION_RESTOCK: _ClassVar[Disposition]
    DISPOSITION_RESELL_LOCAL: _ClassVar[Disposition]
    DISPOSITION_REFURBISH: _ClassVar[Disposition]
    DISPOSITION_LIQUIDATE: _ClassVar[Disposition]
    DISPOSITION_RECYCLE: _ClassVar[Disposition]
    DISPOSITION_RETURNLESS: _ClassVar[Disposition]
    DISPOSITION_DONATE: _ClassVar[Disposition]

class TransportMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSPORT_MODE_UNSPECIFIED: _ClassVar[TransportMode]
    TRANSPORT_MODE_VAN: _ClassVar[TransportMode]
    TRANSPORT_MODE_ROAD: _ClassVar[TransportMode]
    TRANSPORT_MODE_AIR: _ClassVar[TransportMode]
    TRANSPORT_MODE_OCEAN: _ClassVar[TransportMode]
    TRANSPORT_MODE_RAIL: _ClassVar[TransportMode]
CONDITION_GRADE_UNSPECIFIED: ConditionGrade
CONDITION_GRADE_A: ConditionGrade
CONDITION_GRADE_B: ConditionGrade
CONDITION_GRADE_C: ConditionGrade
CONDITION_GRADE_D: ConditionGrade
RETURN_REASON_UNSPECIFIED: ReturnReason
RETURN_REASON_CHANGED_MIND: ReturnReason
RETURN_REASON_WRONG_SIZE: ReturnReason
RETURN_REASON_DEFECTIVE: ReturnReason
RETURN_REASON_DAMAGED_IN_TRANSIT: ReturnReason
RETURN_REASON_NOT_AS_DESCRIBED: ReturnReason
RETURN_REASON_WRONG_ITEM: ReturnReason
DISPOSITION_UNSPECIFIED: Disposition
DISPOSITION_RESTOCK: Disposition
DISPOSITION_RESELL_LOCAL: Disposition
DISPOSITION_REFURBISH: Disposition
DISPOSITION_LIQUIDATE: Disposition
DISPOSITION_RECYCLE: Disposition
DISPOSITION_RETURNLESS: Disposition
DISPOSITION_DONATE: Disposition
TRANSPORT_MODE_UNSPECIFIED: TransportMode
TRANSPORT_MODE_VAN: TransportMode
TRANSPORT_MODE_ROAD: TransportMode
TRANSPORT_MODE_AIR: TransportMode
TRANSPORT_MODE_OCEAN: TransportMode
TRANSPORT_MODE_RAIL: TransportMode

class Money(_message.Message):
    __slots__ = ("amount_minor", "currency")
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    amount_minor: int
    currency: str
    def __init__(self, amount_minor: _Optional[int] = ..., currency: _Optional[str] = ...) -> None: ...

class Dimensions(_message.Message):
    __slots__ = ("length", "width", "height")
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    length: int
    width: int
    height: int
    def __init__(self, length: _Optional[int] = ..., width: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...
