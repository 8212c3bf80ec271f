"""The return network: facilities, carrier services, rate cards, line-haul lanes, the lane graph.

Load a network with ``load_network(path)`` / ``loads_network(text)`` or take the embedded
``default_network()``; build ``LaneGraph(network)`` once and ask it ``candidate_paths``.
"""

from hubs.graph import LaneGraph, Path, distance_km, haversine_km
from hubs.loader import (
    NetworkErrors,
    check_network,
    default_network,
    load_network,
    loads_network,
    network_from_mapping,
    summarize_network,
)
from hubs.model import (
    CarrierService,
    ConditionGrade,
    CustomerRegion,
    Disposition,
    Facility,
    FacilityKind,
    LinehaulLane,
    Mode,
    Network,
    NetworkError,
    Policy,
    RateCard,
    RecoveryRates,
    Scope,
    ServiceKind,
    Source,
)

__all__ = [
    "CarrierService",
    "ConditionGrade",
    "CustomerRegion",
    "Disposition",
    "Facility",
    "FacilityKind",
    "LaneGraph",
    "LinehaulLane",
    "Mode",
    "Network",
    "NetworkError",
    "NetworkErrors",
    "Path",
    "Policy",
    "RateCard",
    "RecoveryRates",
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
