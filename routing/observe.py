"""Metrics (Prometheus) and structured logs (JSON lines) of the service.

``Metrics`` owns its own registry (several servers may live in one process, e.g. in tests):
requests and latency per RPC and status code, decisions by outcome, and, read from the store
at each scrape, today's capacity utilization per facility; its /metrics also shows
``reroute_build_info`` (version, git commit, Python) and everything in prometheus_client's
default registry: the process (CPU, memory, open files, start time), platform and garbage
collector metrics, and whatever a library registers there. ``JsonFormatter`` writes one JSON
object per log record, with the request id, trace id, tenant, key id and peer of the call it
belongs to.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import os
import platform
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS_S = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10)


@dataclass
class CallInfo:
    """What the edge knows about the call being served (one per RPC, in a context variable)."""

    request_id: str
    method: str
    tenant: str = ""
    key_id: str = ""  # the API key's visible id (rr_...), never the key
    peer: str = ""  # grpc's peer string, e.g. ipv4:10.0.0.7:51234
    trace_id: str = ""  # W3C trace id (32 hex): the caller's traceparent, else made here
    code: str = "OK"  # the status the call ends with, set when it aborts
    extra: dict[str, object] = field(default_factory=dict)


CALL: contextvars.ContextVar[CallInfo | None] = contextvars.ContextVar("reroute_call", default=None)


def current_request_id() -> str:
    info = CALL.get()
    return info.request_id if info is not None else ""


class _CapacityCollector(Collector):
    def __init__(
        self, reserved: Callable[[date], Mapping[str, int]], capacity: Mapping[str, int]
    ) -> None:
        self._reserved = reserved
        self._capacity = capacity

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "reroute_capacity_utilization_ratio",
            "Units held by decisions today (UTC) / the facility's capacity_units_per_day",
            labels=["facility"],
        )
        try:
            held = self._reserved(datetime.now(UTC).date())
        except Exception:  # a scrape never fails the server; the gauge is just absent
            logging.getLogger("reroute.metrics").warning("capacity scrape failed", exc_info=True)
            return
        for facility, cap in sorted(self._capacity.items()):
            if cap > 0:
                gauge.add_metric([facility], held.get(facility, 0) / cap)
        yield gauge


class _DefaultRegistry(Collector):
    """prometheus_client's default registry, shown by ours: its process, platform and GC
    collectors (and any a library adds). It describes no names of its own, so every server's
    registry can show it without duplicating ours."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


@functools.cache
def build_info() -> dict[str, str]:
    """What is running: the package version, the git commit (``$REROUTE_GIT_COMMIT``, set by
    the image build, else asked of git when running from a checkout of the repository, else
    "unknown") and Python's version."""
    try:
        version = metadata.version("reroute")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = os.environ.get("REROUTE_GIT_COMMIT", "").strip()
    checkout = Path(__file__).resolve().parents[1]  # the repository, when run from one
    if not commit and (checkout / ".git").exists():  # not some repo a venv happens to be in
        try:
            got = subprocess.run(
                ["git", "rev-parse", "HEAD"],
                cwd=checkout,
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            )
            commit = got.stdout.strip() if got.returncode == 0 else ""
        except (OSError, subprocess.SubprocessError):
            commit = ""
    return {
        "version": version,
        "commit": commit or "unknown",
        "python": platform.python_version(),
    }


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_DefaultRegistry())
        Info(
            "reroute_build",
            "The running reroute: version, git commit, Python",
            registry=self.registry,
        ).info(build_info())
        self.requests = Counter(
            "reroute_rpc_requests",
            "RPCs served, by method and status code",
            ["method", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "reroute_rpc_latency_seconds",
            "RPC latency, by method and status code",
            ["method", "code"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.solver_seconds = Histogram(
            "reroute_solver_seconds",
            "Solver wall time, by model (split = the multi-item split of RouteReturn)",
            ["model"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.solver_gap = Histogram(
            "reroute_solver_gap_ratio",
            "Relative optimality gap a solver stopped at, by model",
            ["model"],
            buckets=(0.0, 0.001, 0.01, 0.05, 0.1, 0.5, 1.0),
            registry=self.registry,
        )
        self.stream_items = Counter(
            "reroute_stream_items",
            "RouteReturns stream items answered, by status code",
            ["code"],
            registry=self.registry,
        )

    def observe_call(self, method: str, code: str, seconds: float) -> None:
        self.requests.labels(method, code).inc()
        self.latency.labels(method, code).observe(seconds)

    def watch_capacity(
        self, reserved: Callable[[date], Mapping[str, int]], capacity: Mapping[str, int]
    ) -> None:
        self.registry.register(_CapacityCollector(reserved, dict(capacity)))

    def serve_http(self, port: int, host: str = "0.0.0.0") -> int:
        """Expose /metrics on ``port`` (0 = any free port); returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_port)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the call's request id and
    tenant when inside a call, any ``extra={"fields": {...}}``, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        info = CALL.get()
        if info is not None:
            out["request_id"] = info.request_id
            if info.trace_id:
                out["trace_id"] = info.trace_id
            if info.tenant:
                out["tenant"] = info.tenant
            if info.key_id:
                out["key_id"] = info.key_id
            if info.peer:
                out["peer"] = info.peer
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(fmt: str, level: int = logging.INFO) -> None:
    """``json`` (one object per line) or ``text`` on stderr."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
