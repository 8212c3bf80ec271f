"""The return network: facilities, carrier services, rate cards, line-haul lanes, the lane graph.

Load a network with ``load_network(path)`` / ``loads_network(text)`` or take the embedded
``default_network()``; build ``LaneGraph(network)`` once and ask it ``candidate_paths``.

Modules, by concept: ``model`` (the domain objects), ``loader`` (the entry points: file, text,
parsed document, default network), ``reading`` (the network's typed TOML reader and its
errors), ``parse_sites`` / ``parse_carriers`` / ``parse_policy`` (one per part of the file),
``cross_checks`` (references and reachability), ``assemble`` (the order of it all), ``summary``
(``reroute network check``) and ``graph`` (the lane graph).
"""

from hubs.graph import LaneGraph, Path, distance_km, haversine_km
from hubs.loader import default_network, load_network, loads_network, network_from_mapping
from hubs.model import (
    CarrierService,
    ConditionGrade,
    CustomerRegion,
    Disposition,
    Facility,
    FacilityKind,
    LinehaulLane,
    LocalDisposal,
    Mode,
    Network,
    NetworkError,
    Policy,
    RateCard,
    RecoveryRates,
    RefundTrigger,
    Scope,
    ServiceKind,
    Source,
)
from hubs.reading import NetworkErrors
from hubs.summary import check_network, summarize_network

__all__ = [
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
]
