"""``reroute serve`` (the gRPC server, its flags checked) and ``reroute network check``."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from routing.cli.env_flags import named
from routing.cli.flags import EXIT_OK, UsageError

MAX_WORKERS = 64


def cmd_serve(a: argparse.Namespace) -> int:
    from routing.observe import configure_logging
    from routing.rpc.server import ServerConfig, ServerConfigError, serve
    from routing.rpc.workers import serve_workers

    def flag(dest: str) -> str:  # the flag, or its environment variable if set from there
        return named(a, dest, "--" + dest.replace("_", "-"))

    if not a.rate_limit >= 0:  # also refuses NaN
        raise UsageError(f"{flag('rate_limit')}: must be >= 0 (0 = off), got {a.rate_limit}")
    if a.burst < 1:
        raise UsageError(f"{flag('burst')}: must be >= 1, got {a.burst}")
    if a.max_message_bytes < 1024:
        raise UsageError(f"{flag('max_message_bytes')}: must be >= 1024, got {a.max_message_bytes}")
    if not 0 <= a.port <= 65535:
        raise UsageError(f"{flag('port')}: must be 0..65535, got {a.port}")
    if not 1 <= a.workers <= MAX_WORKERS:
        raise UsageError(f"{flag('workers')}: must be 1..{MAX_WORKERS}, got {a.workers}")
    top = 65535 - (a.workers - 1)  # worker i serves /metrics on the port + i
    if a.metrics_port is not None and not 0 <= a.metrics_port <= top:
        why = f" (worker i of {a.workers} serves on the port + i)" if a.workers > 1 else ""
        raise UsageError(f"{flag('metrics_port')}: must be 0..{top}{why}, got {a.metrics_port}")
    if a.plan_max_queued_jobs < 1:
        raise UsageError(
            f"{flag('plan_max_queued_jobs')}: must be >= 1, got {a.plan_max_queued_jobs}"
        )
    if a.plan_max_queued_returns < 1:
        raise UsageError(
            f"{flag('plan_max_queued_returns')}: must be >= 1, got {a.plan_max_queued_returns}"
        )
    if not 0 < a.plan_poll_s <= 60:  # also refuses NaN
        raise UsageError(f"{flag('plan_poll_s')}: must be > 0 and <= 60, got {a.plan_poll_s}")
    if not 3 * a.plan_poll_s <= a.plan_lease_s <= 3600:
        raise UsageError(
            f"{flag('plan_lease_s')}: must be at least 3 x --plan-poll-s ({3 * a.plan_poll_s:g})"
            f" and at most 3600, got {a.plan_lease_s}"
        )
    if a.http_port is not None and not 0 <= a.http_port <= 65535:
        raise UsageError(f"{flag('http_port')}: must be 0..65535, got {a.http_port}")
    if a.http_port is not None and a.workers > 1:
        raise UsageError(
            f"{flag('http_port')}: not with --workers > 1 yet (the HTTP edge does not share its"
            " port between processes); serve HTTP from one process, or put a proxy in front"
        )
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
        plan_max_queued_jobs=a.plan_max_queued_jobs,
        plan_max_queued_returns=a.plan_max_queued_returns,
        plan_lease_s=a.plan_lease_s,
        plan_poll_s=a.plan_poll_s,
    )
    try:
        if a.workers > 1:
            return serve_workers(config, a.workers, log_format=a.log_format)
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
