"""Building a ``Network`` from a parsed network document (the dict ``tomllib`` returns).

Reads each part of the document (a ``parse_*`` module per concept), then checks references
across the tables, then reachability; every problem is collected and raised together as one
:class:`hubs.reading.NetworkErrors`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from hubs.cross_checks import (
    Declared,
    check_presence,
    check_reachability,
    check_recovery,
    check_references,
)
from hubs.model import Network
from hubs.parse_carriers import read_lane, read_rate_card, read_service
from hubs.parse_policy import read_co2e, read_local_disposal, read_policy, read_recovery
from hubs.parse_sites import read_facility, read_region
from hubs.reading import NetworkProblems, NetworkTable, check_id

__all__ = ["FORMAT_VERSION", "build_network"]

FORMAT_VERSION: Final = 1

T = TypeVar("T")


def build_network(data: Mapping[str, object], origin: str) -> Network:
    """Validate an already-parsed network document. Raises ``NetworkErrors``."""
    problems = NetworkProblems(origin)
    root = NetworkTable(data, problems)
    mark = problems.mark()
    version = root.int("format_version", low=1)
    if problems.clean_since(mark) and version != FORMAT_VERSION:
        root.error("format_version", f"unsupported version {version}; expected {FORMAT_VERSION}")
    head = root.table("network")
    name = head.str("name", nonempty=True)
    currency = head.currency("currency")
    notes = head.str("notes", default="")
    network_sources = head.sources()
    head.finish()

    co2e, co2e_sources = read_co2e(root.table("co2e"))
    policy = read_policy(root.table("policy"), problems)
    recovery = read_recovery(root.table("recovery"), problems)
    local_disposal = (
        read_local_disposal(root.table("local_disposal"), problems)
        if root.has("local_disposal")
        else None
    )
    if not root.has("local_disposal"):
        root.ask("local_disposal")
    regions = _read_all(root.tables("regions"), read_region, problems)
    facilities = _read_all(root.tables("facilities", check_name=check_id), read_facility, problems)
    rate_cards = _read_all(root.tables("rate_cards", check_name=check_id), read_rate_card, problems)
    services = _read_all(root.tables("services", check_name=check_id), read_service, problems)
    lanes = _read_all(root.tables("lanes", check_name=check_id), read_lane, problems)
    root.finish()

    declared = Declared(
        facilities=set(_entry_names(root, "facilities")),
        rate_cards=set(_entry_names(root, "rate_cards")),
        services=set(_entry_names(root, "services")),
        regions=set(_entry_names(root, "regions")),
    )
    check_references(problems, declared, facilities, rate_cards, services, lanes, regions)
    check_recovery(problems, recovery, facilities, local_disposal)
    check_presence(problems, declared, facilities, services, regions)
    problems.raise_if_any()
    # A part that did not read cleanly added a problem, and raise_if_any raised.
    assert policy is not None
    assert recovery is not None
    assert co2e is not None
    network = Network(
        name=name,
        currency=currency,
        facilities=facilities,
        rate_cards=rate_cards,
        services=services,
        lanes=lanes,
        regions=regions,
        co2e_g_per_tkm=co2e,
        recovery=recovery,
        policy=policy,
        notes=notes,
        sources=network_sources + co2e_sources,
        local_disposal=local_disposal,
    )
    check_reachability(problems, network)
    problems.raise_if_any()
    return network


def _entry_names(root: NetworkTable, key: str) -> list[str]:
    value = root.data.get(key)
    return list(value) if isinstance(value, dict) else []


def _read_all(
    entries: Mapping[str, NetworkTable],
    read: Callable[[str, NetworkTable, NetworkProblems], T | None],
    problems: NetworkProblems,
) -> dict[str, T]:
    out: dict[str, T] = {}
    for key, table in entries.items():
        item = read(key, table, problems)
        if item is not None:
            out[key] = item
    return out
