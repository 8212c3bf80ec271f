"""What ``reroute network check FILE`` prints: a summary of a valid network file.

``check_network(path)`` loads and validates the file (raising ``NetworkErrors`` when it is
invalid); ``summarize_network`` counts facilities, services, lanes and countries and reports
which countries can reach each origin.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hubs.graph import LaneGraph
from hubs.loader import load_network
from hubs.model import Network

__all__ = ["check_network", "summarize_network"]


def check_network(path: str | Path) -> list[str]:
    """Load and validate ``path``; return summary lines. Raises ``NetworkErrors`` when invalid."""
    network = load_network(path)
    return [f"{path}: OK", *summarize_network(network)]


def summarize_network(network: Network, graph: LaneGraph | None = None) -> list[str]:
    """Counts of facilities by kind, services, lanes and countries, and origin coverage."""
    graph = graph if graph is not None else LaneGraph(network)
    kinds = Counter(f.kind.value for f in network.facilities.values())
    service_kinds = Counter(s.kind.value for s in network.services.values())
    lane_modes = Counter(lane.mode.value for lane in network.lanes.values())
    countries = sorted(network.regions)
    lines = [
        f"network {network.name!r}, base currency {network.currency}",
        f"facilities: {len(network.facilities)} ({_counts(kinds)})",
        f"bonded facilities: {sum(f.bonded for f in network.facilities.values())}",
        f"rate cards: {len(network.rate_cards)}",
        f"parcel services: {len(network.services)} ({_counts(service_kinds)})",
        f"line-haul lanes: {len(network.lanes)} ({_counts(lane_modes)})",
        f"countries served: {len(countries)} ({', '.join(countries)})",
    ]
    for origin in graph.origins:
        covered = [c for c in countries if graph.candidate_paths(c, origin)]
        direct = [c for c in countries if _reaches_origin(graph, c, origin)]
        lines.append(
            f"origin {origin}: paths from {len(covered)}/{len(countries)} countries, "
            f"back to the origin from {len(direct)}/{len(countries)}"
        )
        missing = sorted(set(countries) - set(covered))
        if missing:
            lines.append(
                f"warning: no path at all for returns to {origin} from {', '.join(missing)}"
            )
    unused = sorted(set(network.rate_cards) - {s.rate_card for s in network.services.values()})
    if unused:
        lines.append(f"warning: rate cards no service uses: {', '.join(unused)}")
    return lines


def _reaches_origin(graph: LaneGraph, country: str, origin: str) -> bool:
    return any(p.destination_id == origin for p in graph.candidate_paths(country, origin))


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {counter[key]}" for key in sorted(counter))


__all__ = ["check_network", "summarize_network"]
