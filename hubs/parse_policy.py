"""Parsing the network-wide tables: ``[co2e]`` factors, ``[policy]`` prices and ``[recovery]``
rates and costs per disposition.

Each reader records every problem of its table and returns ``None`` unless it read cleanly.
"""

from __future__ import annotations

from collections.abc import Mapping

from hubs.model import (
    DEFAULT_MAX_LOSS_BP,
    LOCAL_DISPOSITIONS,
    ConditionGrade,
    Disposition,
    LocalDisposal,
    Mode,
    Policy,
    RecoveryRates,
    RefundTrigger,
    Source,
)
from hubs.reading import NetworkProblems, NetworkTable

__all__ = ["POLICY_KEYS", "read_co2e", "read_local_disposal", "read_policy", "read_recovery"]

POLICY_KEYS = (
    "refund_delay_per_day_minor",
    "resale_depreciation_per_day_bp",
    "co2e_price_per_tonne_minor",
    "returnless_max_value_minor",
)


def read_co2e(t: NetworkTable) -> tuple[dict[Mode, int] | None, tuple[Source, ...]]:
    """``[co2e]``: grams CO2e per tonne-km for every mode (``g_per_tkm``), and its sources."""
    mark = t.problems.mark()
    factors = t.table("g_per_tkm")
    out: dict[Mode, int] = {}
    for mode in Mode:
        out[mode] = factors.int(mode.value, low=0)
    factors.finish()
    sources = t.sources()
    t.finish()
    return (out if t.problems.clean_since(mark) else None), sources


def read_policy(t: NetworkTable, problems: NetworkProblems) -> Policy | None:
    """``[policy]``: what a day of delay, a tonne of CO2e and a returnless refund cost."""
    mark = problems.mark()
    fields = {name: t.int(name, low=0) for name in POLICY_KEYS}
    local_cap = t.optional("local_disposal_max_value_minor", lambda k: t.int(k, low=0))
    max_loss = t.int("max_loss_bp", low=0, default=DEFAULT_MAX_LOSS_BP)
    trigger = RefundTrigger.GRADED
    if t.has("refund_trigger"):
        trigger = t.choice("refund_trigger", RefundTrigger) or trigger
    else:
        t.ask("refund_trigger")
    sources = t.sources()
    t.finish()
    if not problems.clean_since(mark):
        return None
    with problems.model(t.path):
        return Policy(
            **fields,
            sources=sources,
            local_disposal_max_value_minor=local_cap,
            max_loss_bp=max_loss,
            refund_trigger=trigger,
        )
    return None


def read_local_disposal(t: NetworkTable, problems: NetworkProblems) -> LocalDisposal | None:
    """``[local_disposal]``: the partners that receive goods in the customer's country."""
    mark = problems.mark()
    dispositions = t.choices(
        "dispositions",
        Disposition,
        refused=frozenset(Disposition) - LOCAL_DISPOSITIONS,
    )
    per_parcel = t.int("handling_per_parcel_minor", low=0)
    per_unit = t.int("handling_per_unit_minor", low=0)
    currency = t.currency("currency")
    days = t.int("processing_days", low=0)
    sources = t.sources()
    t.finish()
    if not problems.clean_since(mark):
        return None
    with problems.model(t.path):
        return LocalDisposal(
            dispositions=dispositions,
            handling_per_parcel_minor=per_parcel,
            handling_per_unit_minor=per_unit,
            currency=currency,
            processing_days=days,
            sources=sources,
        )
    return None


def read_recovery(t: NetworkTable, problems: NetworkProblems) -> RecoveryRates | None:
    """``[recovery]``: the share of value each disposition recovers per grade, and its cost."""
    mark = problems.mark()
    currency = t.currency("currency")
    rates = _read_recovery_rates(t.tables("rates_bp"))
    costs = _read_disposition_costs(t.table("cost_per_unit_minor"))
    sources = t.sources()
    t.finish()
    if not problems.clean_since(mark):
        return None
    with problems.model(t.path):
        return RecoveryRates(
            rates_bp=rates, cost_per_unit_minor=costs, currency=currency, sources=sources
        )
    return None


def _read_recovery_rates(
    by_disposition: Mapping[str, NetworkTable],
) -> dict[tuple[Disposition, ConditionGrade], int]:
    """``rates_bp.<disposition>.<grade> = bp``: keys are enum values, checked like values."""
    rates: dict[tuple[Disposition, ConditionGrade], int] = {}
    for disp_key, grades in by_disposition.items():
        disposition = grades.choice_at(grades.path, disp_key, Disposition)
        for grade_key in list(grades.data):
            grade = grades.choice_at(grades.at(grade_key), grade_key, ConditionGrade)
            bp = grades.int(grade_key, low=0, high=10_000)
            if disposition is not None and grade is not None:
                rates[(disposition, grade)] = bp
        grades.finish()
    return rates


def _read_disposition_costs(t: NetworkTable) -> dict[Disposition, int]:
    """``cost_per_unit_minor.<disposition> = amount``."""
    costs: dict[Disposition, int] = {}
    for disp_key in list(t.data):
        disposition = t.choice_at(t.at(disp_key), disp_key, Disposition)
        amount = t.int(disp_key, low=0)
        if disposition is not None:
            costs[disposition] = amount
    t.finish()
    return costs
