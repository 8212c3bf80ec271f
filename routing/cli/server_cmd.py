"""``reroute serve`` (the gRPC server, its flags checked) and ``reroute network check``."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from routing.cli.flags import EXIT_OK, UsageError


def cmd_serve(a: argparse.Namespace) -> int:
    from routing.observe import configure_logging
    from routing.rpc.server import ServerConfig, ServerConfigError, serve

    if not a.rate_limit >= 0:  # also refuses NaN
        raise UsageError(f"--rate-limit: must be >= 0 (0 = off), got {a.rate_limit}")
    if a.burst < 1:
        raise UsageError(f"--burst: must be >= 1, got {a.burst}")
    if a.max_message_bytes < 1024:
        raise UsageError(f"--max-message-bytes: must be >= 1024, got {a.max_message_bytes}")
    if a.metrics_port is not None and not 0 <= a.metrics_port <= 65535:
        raise UsageError(f"--metrics-port: must be 0..65535, got {a.metrics_port}")
    if not 0 <= a.port <= 65535:
        raise UsageError(f"--port: must be 0..65535 (0 = any free port), got {a.port}")
    if a.http_port is not None and not 0 <= a.http_port <= 65535:
        raise UsageError(f"--http-port: must be 0..65535, got {a.http_port}")
    configure_logging(a.log_format)
    config = ServerConfig(
        host=a.host,
        port=a.port,
        network_file=Path(a.network) if a.network else None,
        bench_echo=a.bench_echo,
        database_url=a.database_url,
        tls_cert=Path(a.tls_cert) if a.tls_cert else None,
        tls_key=Path(a.tls_key) if a.tls_key else None,
        tls_client_ca=Path(a.tls_client_ca) if a.tls_client_ca else None,
        metrics_port=a.metrics_port,
        http_port=a.http_port,
        max_message_bytes=a.max_message_bytes,
        rate_per_s=a.rate_limit or None,
        burst=a.burst,
        auth=a.auth == "key",
    )
    try:
        asyncio.run(serve(config))
    except ServerConfigError as exc:
        raise UsageError(str(exc)) from exc
    return EXIT_OK


def cmd_network_check(a: argparse.Namespace) -> int:
    from hubs import check_network

    lines = check_network(a.file)
    if a.json:
        print(json.dumps(_network_summary(a.file, lines), indent=2))
    else:
        for line in lines:
            print(line)
    return EXIT_OK


def _network_summary(file: str, lines: list[str]) -> dict[str, object]:
    """``reroute network check --json``: the network's counts and coverage, and the warnings."""
    from hubs import load_network
    from hubs.graph import LaneGraph

    network = load_network(file)
    graph = LaneGraph(network)
    countries = sorted(network.regions)
    return {
        "file": file,
        "ok": True,
        "name": network.name,
        "currency": network.currency,
        "facilities": {
            kind: sorted(f.id for f in network.facilities.values() if f.kind.value == kind)
            for kind in sorted({f.kind.value for f in network.facilities.values()})
        },
        "bonded_facilities": sorted(f.id for f in network.facilities.values() if f.bonded),
        "rate_cards": len(network.rate_cards),
        "parcel_services": len(network.services),
        "lanes": len(network.lanes),
        "countries": countries,
        "origins": {
            origin: {
                "countries_with_paths": sum(
                    1 for c in countries if graph.candidate_paths(c, origin)
                )
            }
            for origin in graph.origins
        },
        "warnings": [
            line.removeprefix("warning: ") for line in lines if line.startswith("warning")
        ],
    }
