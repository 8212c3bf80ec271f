"""What an operator sees of a real server: every log line of a call names its peer, API key id
and W3C trace id; /metrics has the process metrics and reroute_build_info."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.observe import JsonFormatter, build_info
from routing.rpc.server import ServerConfig
from routing.store.database import make_engine, upgrade
from routing.store.tenants import create_key
from tests.routing.rpc.test_edge import InProcess

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Lines(logging.Handler):
    """Access log lines as the JSON formatter writes them, formatted where they are logged
    (inside the call, so the call's fields are there)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcess, str, str]]:
    folder = tmp_path_factory.mktemp("obs")
    url = f"sqlite:///{folder / 'obs.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REROUTE_DATA_DIR", str(folder))
        engine = make_engine(url)
        upgrade(engine)
        key_id, key = create_key(engine, "acme")
        engine.dispose()
        s = InProcess(ServerConfig(host="127.0.0.1", port=0, database_url=url), None)  # type: ignore[arg-type]
        yield s, key_id, key
        s.close()


def _call(target: str, key: str, *extra: tuple[str, str]) -> None:
    with grpc.insecure_channel(target) as ch:
        routing_pb2_grpc.ReturnsRoutingStub(ch).ListDecisions(
            routing_pb2.ListDecisionsRequest(),
            metadata=(("authorization", f"Bearer {key}"), *extra),
            timeout=30,
        )


@pytest.fixture
def access() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("reroute.access")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_access_log_names_peer_key_and_the_callers_trace(
    served: tuple[InProcess, str, str], access: Lines
) -> None:
    """A call with a W3C traceparent logs that trace id, the key's id (never the key) and
    the peer's address."""
    server, key_id, key = served
    _call(server.target, key, ("traceparent", f"00-{TRACE}-00f067aa0ba902b7-01"))
    (line,) = [x for x in access.lines if x["method"] == "ListDecisions"]
    assert line["trace_id"] == TRACE
    assert line["key_id"] == key_id
    assert line["tenant"] == "acme"
    assert str(line["peer"]).startswith("ipv4:127.0.0.1:")
    assert key not in json.dumps(line)


@pytest.mark.parametrize(
    "traceparent",
    [None, "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "garbage", "00-xyz"],
)
def test_without_a_valid_traceparent_a_trace_id_is_made(
    served: tuple[InProcess, str, str], access: Lines, traceparent: str | None
) -> None:
    """No traceparent, or one W3C calls invalid (all-zero trace id, not the format): the call
    still gets a trace id of its own, 32 hex digits, different per call."""
    server, _, key = served
    extra = () if traceparent is None else (("traceparent", traceparent),)
    _call(server.target, key, *extra)
    _call(server.target, key, *extra)
    ids = [str(x["trace_id"]) for x in access.lines if x["method"] == "ListDecisions"]
    assert len(ids) == 2
    assert ids[0] != ids[1]
    for t in ids:
        assert len(t) == 32
        int(t, 16)
        assert t != "0" * 32


def test_metrics_show_process_and_build_info(served: tuple[InProcess, str, str]) -> None:
    """/metrics has prometheus_client's default collectors (process_*, python_info) and
    reroute_build_info with the version and the git commit of this checkout."""
    server, _, _ = served
    assert server.running.metrics is not None
    port = server.running.metrics.serve_http(0, "127.0.0.1")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"):
        assert f"\n{name}" in text
    info = build_info()
    assert f'commit="{info["commit"]}"' in text
    assert 'reroute_build_info{commit="' in text
    head = (Path(__file__).resolve().parents[3] / ".git").exists()
    if head:  # a checkout (or worktree): the commit is known
        assert info["commit"] != "unknown"
