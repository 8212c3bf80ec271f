"""The customs interface: one entry point, ``assess``, for one crossing of a set of items on a date.

Everything here is plain domain data (frozen dataclasses); routing builds a ``Crossing`` for each
leg that leaves a country and reads back an ``Assessment``. Money is integer minor units; every
amount names the dated rule row (``RuleRef``) and source id it follows.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, Protocol

from customs.errors import FieldViolation, InvalidInput


class CustomsError(InvalidInput, ValueError):
    """Invalid input to customs (unknown country, currency, malformed HS code, date outside tables).

    ``field`` names the offending input (e.g. ``items[0].hs_code``).
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__([FieldViolation(field, reason)])
        self.field = field
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled by its arguments (``args`` holds the message only), with any attributes."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("field", "reason")}
        return (type(self), (self.field, self.reason), state or None)


class CustomsNotCovered(CustomsError):
    """The input is valid but the rule tables do not cover it yet (e.g. imports into the Faroe
    Islands, Canary Islands IGIC): a gap in coverage, not a bad request. Routing may drop the
    option instead of failing the request.

    ``partial`` is what the tables do answer when only the entry charges are missing: the border
    (always ``True``), union, reclaims in the export country, documents, cited rules and notes.
    Its ``duty_due_minor`` and ``vat_due_minor`` are 0 because they are unknown (a note says so),
    so it is never a full assessment. ``None`` when nothing could be answered (a country without
    any rules).
    """

    # the engine may set this instead of ``partial``: the answer is then worked out when first
    # read (routing drops such a crossing without reading it)
    _answer: Callable[[], Assessment] | None = None

    def __init__(self, field: str, reason: str, *, partial: Assessment | None = None) -> None:
        super().__init__(field, reason)
        self._partial = partial

    @property
    def partial(self) -> Assessment | None:
        if self._answer is not None:
            self._partial, self._answer = self._answer(), None
        return self._partial

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.field, self.reason), {"_partial": self.partial})


class Channel(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    POSTAL = "postal"  # UPU post: CN22/CN23
    COURIER = "courier"  # express integrator / ground courier: commercial invoice, broker
    FREIGHT = "freight"  # consolidated line-haul: formal declaration


class ReturnReason(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    CHANGED_MIND = "changed_mind"
    WRONG_SIZE = "wrong_size"
    DEFECTIVE = "defective"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    NOT_AS_DESCRIBED = "not_as_described"
    WRONG_ITEM = "wrong_item"

    @property
    def rejected_goods(self) -> bool:
        """Defective or not per contract: qualifies for rejected-goods repayment (UCC Art. 118)."""
        return self in {
            ReturnReason.DEFECTIVE,
            ReturnReason.DAMAGED_IN_TRANSIT,
            ReturnReason.NOT_AS_DESCRIBED,
            ReturnReason.WRONG_ITEM,
        }


class Confidence(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    HIGH = "high"  # legal or official text read
    MEDIUM = "medium"  # official summary or consistent secondary sources
    LOW = "low"  # one secondary source, NOT VERIFIED, or a conflict resolved conservatively


class Claimant(enum.Enum):
    __hash__ = object.__hash__  # singletons compared by identity: a C-level hash
    IMPORTER_OF_RECORD = "importer_of_record"
    DECLARANT = "declarant"  # e.g. the consumer or the carrier as representative
    SELLER = "seller"  # VAT collected at checkout (IOSS, LVG, VOEC, OVR): seller's own return
    CONSUMER = "consumer"


@dataclass(frozen=True, slots=True)
class CustomsItem:
    hs_code: str  # 6 to 10 digits
    value_minor: int  # per unit, in ``currency``
    currency: str
    quantity: int
    weight_g: int  # per unit
    unaltered: bool = True  # grade A/B: goods in the state they were imported/exported


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """How the goods entered the customer's country (the outbound sale)."""

    country: str
    import_date: date
    duty_paid_minor: int
    vat_paid_minor: int
    currency: str
    vat_collected_at_checkout: bool = False  # IOSS / UK <= GBP 135 / AU-NZ LVG / NO VOEC / SG OVR


@dataclass(frozen=True, slots=True)
class Crossing:
    """Goods leave ``export_country`` for ``import_country`` on the assessment date.

    ``goods_origin_country`` is where the merchant first exported them from (country B);
    ``reentry`` is true when the goods return to that country (returned-goods relief applies);
    ``original_import`` describes the outbound import into the country they now leave, if any,
    or into another country of the same customs area (a return consolidated in another
    member state of a customs union before it leaves the union reclaims there).
    """

    export_country: str
    import_country: str
    goods_origin_country: str
    channel: Channel
    reason: ReturnReason
    # ISO 3166-2 code where it matters (ES-CN Canary Islands, FI-01 Åland, GB-NIR Northern
    # Ireland); territories without an ISO code use customs/data/territories.toml codes (DE-HGL
    # Heligoland). NB: DE-HE is Hessen, not Heligoland.
    export_territory: str = ""
    import_territory: str = ""
    reentry: bool = False
    bonded_destination: bool = False  # goods enter a customs warehouse: no duty/VAT due on entry
    original_import: ImportRecord | None = None
    export_date: date | None = None  # when the goods first left ``goods_origin_country``
    # This crossing enters under a checkout-VAT scheme of the import side (IOSS, UK <= GBP 135,
    # AU/NZ low-value goods, NO VOEC, SG OVR; checkout.toml): the seller charged the VAT at
    # sale, so within the scheme's limit no import VAT is due at the border (nor duty where the
    # scheme exempts it). ``ImportRecord.vat_collected_at_checkout`` is the same fact for the
    # original import into the export side.
    vat_at_checkout: bool = False


@dataclass(frozen=True, slots=True)
class RuleRef:
    """The dated data row an amount or a decision follows."""

    rule_id: str
    legal_basis: str
    source_ids: tuple[str, ...]
    effective_from: date
    effective_to: date | None
    confidence: Confidence


@dataclass(frozen=True, slots=True)
class FxConversion:
    from_currency: str
    to_currency: str
    rate: str  # decimal string, as in the FX table
    rate_date: date
    amount_from_minor: int
    amount_to_minor: int
    source_id: str


@dataclass(frozen=True, slots=True)
class Reclaim:
    """Duty/VAT paid on the original import that can be recovered when the goods leave."""

    route: str  # e.g. "EU UCC Art. 118 rejected goods"
    duty_minor: int
    vat_minor: int
    deadline: date
    claimant: Claimant
    conditions: tuple[str, ...]
    documents: tuple[str, ...]  # document codes
    rule: RuleRef
    # The last day the goods may leave for this route: the route's export window after the
    # import, and for a claim counted from the import its filing deadline too (the export comes
    # first). None: the tables set no export window (or a decision stored before it was kept).
    export_by: date | None = None
    # Why the amount is what it is when that needs saying: "" or, for an eligible route that
    # recovers nothing today, the reason (e.g. no VAT was paid on the import).
    note: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    code: str  # e.g. "CN22", "commercial_invoice", "US_CBP_3311"
    name: str
    reason: str
    rule: RuleRef


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome of one crossing; all amounts in ``currency`` (the requested base currency)."""

    export_country: str
    import_country: str
    border: bool  # a customs border or a VAT border: formalities apply (either flag below)
    union: str  # shared customs union, "" if none
    currency: str
    duty_due_minor: int  # on entry into import_country, after de minimis and relief
    vat_due_minor: int
    relief: str  # e.g. "returned goods relief (UCC Art. 203)"; "" if none
    de_minimis: str  # human-readable description of the threshold applied; "" if none
    # In export_country, for the original import. Never overlapping: at most one customs route (the
    # most valuable; the others are in ``notes``) plus the seller's route for VAT collected at
    # checkout. They add up: ``reclaimable_minor`` is the total, never more than was paid.
    reclaims: tuple[Reclaim, ...]
    documents: tuple[Document, ...]
    rules: tuple[RuleRef, ...]  # every row this assessment followed
    fx: tuple[FxConversion, ...] = ()
    confidence: Confidence = Confidence.HIGH
    notes: tuple[str, ...] = field(default=())
    # The two borders ``border`` sums up, as separate facts: customs areas differ (duty, export
    # formalities, customs reclaims and relief) and VAT areas differ (import VAT). A crossing
    # inside a customs union across a fiscal border (Canary Islands, Åland, Mount Athos) has
    # only a VAT border. None: not recorded (a decision stored before they were split).
    customs_border: bool | None = None
    vat_border: bool | None = None

    @property
    def reclaimable_minor(self) -> int:
        return sum(r.duty_minor + r.vat_minor for r in self.reclaims)


class Amounts(NamedTuple):
    """The money of an assessment without its explanation (documents, notes, cited rules): what
    a batch planner needs of each of millions of crossings. ``Amounts.of(assess(...))`` is the
    definition; ``CustomsAssessor.amounts`` computes the same without building the rest."""

    duty_due_minor: int
    vat_due_minor: int
    reclaim_duty_minor: int  # summed over ``Assessment.reclaims``
    reclaim_vat_minor: int

    @classmethod
    def of(cls, assessment: Assessment) -> Amounts:
        duty = vat = 0
        for claim in assessment.reclaims:
            duty += claim.duty_minor
            vat += claim.vat_minor
        return cls(assessment.duty_due_minor, assessment.vat_due_minor, duty, vat)


class CustomsAssessor(Protocol):
    """What routing needs from customs. ``customs.assess`` is the default implementation."""

    def assess(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Assessment: ...

    def amounts(
        self, crossing: Crossing, items: Sequence[CustomsItem], on: date, *, currency: str
    ) -> Amounts:
        """``Amounts.of(self.assess(...))``, raising what ``assess`` raises, only cheaper."""
        ...

    def customs_area(self, country: str, territory: str, on: date) -> str:
        """The customs territory a place belongs to on ``on`` (``EU``, ``DE-HGL``, ``GB``...)."""
        ...
