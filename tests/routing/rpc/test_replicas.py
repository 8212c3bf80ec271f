"""Several server processes as one service: ``reroute serve --workers N`` on one port, and
rate limits shared through the database by every process and replica."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.cli.main import main
from routing.rpc.limits import Rate, SharedRateLimiter
from routing.rpc.server import ServerConfig
from routing.store.database import make_engine, upgrade
from routing.store.tenants import create_key, set_rate_limit
from tests.routing.rpc.test_edge import InProcess

ROOT = Path(__file__).resolve().parents[3]


class FakeBucket:
    """A shared bucket that grants ``stock`` tokens in all, counting the round trips."""

    def __init__(self, stock: int) -> None:
        self.stock = stock
        self.calls = 0

    def lease(self, tenant: str, per_s: float, burst: int, want: int) -> tuple[int, float]:
        self.calls += 1
        got = min(want, self.stock)
        self.stock -= got
        return (got, 0.0) if got else (0, 0.25)


def _take(limiter: SharedRateLimiter, rate: Rate) -> float:
    got = limiter.take("t", rate)
    return got if got is not None else asyncio.run(limiter.refill("t", rate))


def test_shared_limiter_spends_leases_locally() -> None:
    """At 200/s a lease holds 10 tokens: 100 calls cost 10 round trips; an empty shared
    bucket refuses with its wait, and the refusals until then cost no round trip."""
    bucket, now = FakeBucket(100), [0.0]
    limiter = SharedRateLimiter(bucket.lease, clock=lambda: now[0])
    rate = Rate(200.0, 400)
    assert limiter.chunk(rate) == 10
    assert [_take(limiter, rate) for _ in range(100)] == [0.0] * 100
    assert bucket.calls == 10
    assert _take(limiter, rate) == 0.25
    now[0] = 0.1
    assert _take(limiter, rate) == pytest.approx(0.15)
    assert bucket.calls == 11


def test_a_lease_lapses_unspent() -> None:
    """Tokens leased and left unspent lapse after the lease time: a process cannot spend
    long after it took them."""
    bucket, now = FakeBucket(100), [0.0]
    limiter = SharedRateLimiter(bucket.lease, clock=lambda: now[0], ttl_s=1.0)
    rate = Rate(200.0, 400)
    _take(limiter, rate)  # leases 10, spends 1
    now[0] = 1.5
    _take(limiter, rate)
    assert bucket.calls == 2
    assert bucket.stock == 80


@pytest.fixture
def shared_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("REROUTE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("REROUTE_DATABASE_URL", raising=False)
    return f"sqlite:///{tmp_path / 'shared.db'}"


def test_two_servers_share_a_tenants_rate_limit(shared_db: str) -> None:
    """Two servers on one database (two replicas): tenant 'slow' (0.5/s, burst 6) calling
    both in turn gets about 6 answers in all, not 6 from each."""
    engine = make_engine(shared_db)
    upgrade(engine)
    _, key = create_key(engine, "slow")
    set_rate_limit(engine, "slow", 0.5, 6)
    config = ServerConfig(host="127.0.0.1", port=0, database_url=shared_db)
    servers = [InProcess(config, None) for _ in range(2)]  # type: ignore[arg-type]
    try:
        codes = []
        channels = [grpc.insecure_channel(s.target) for s in servers]
        for i in range(12):
            stub = routing_pb2_grpc.ReturnsRoutingStub(channels[i % 2])
            try:
                stub.ListDecisions(
                    routing_pb2.ListDecisionsRequest(),
                    metadata=(("authorization", f"Bearer {key}"),),
                    timeout=10,
                )
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as err:
                codes.append(err.code())
        for ch in channels:
            ch.close()
    finally:
        for s in servers:
            s.close()
        engine.dispose()
    ok = codes.count(grpc.StatusCode.OK)
    assert 6 <= ok <= 7, codes  # 6 from the burst, at most one refilled meanwhile
    assert codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED) == 12 - ok


class Workers:
    """``reroute serve --workers 2`` in its own process group, metrics on for each worker."""

    def __init__(self, *extra: str) -> None:
        self.data = tempfile.TemporaryDirectory()
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in close())
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "REROUTE_DATA_DIR": self.data.name}
        env.pop("REROUTE_DATABASE_URL", None)
        cmd = [sys.executable, "-m", "routing.cli.main", "serve", "--port", "0"]
        self.proc = subprocess.Popen(
            [*cmd, "--host", "127.0.0.1", "--auth", "none", "--rate-limit", "0", *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        self.lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.strip())
            if "listening on" in line:
                break

    @property
    def target(self) -> str:
        return self.lines[-1].rsplit(" ", 1)[-1]

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()
        self.data.cleanup()


@pytest.fixture(scope="module")
def workers() -> Iterator[Workers]:
    w = Workers("--workers", "2", "--metrics-port", "0")
    yield w
    w.close()


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(c) for c in text)
    return found


def test_workers_listen_on_one_port_and_both_answer(workers: Workers) -> None:
    """Two worker processes, one address: the start-up line names the address bound and the
    worker pids; connections spread over both (each worker's /metrics counts some calls)."""
    assert "listening on 127.0.0.1:" in workers.lines[-1], workers.stderr()
    pids = re.search(r"2 workers \(pids (\d+), (\d+)\)", "\n".join(workers.lines))
    assert pids is not None
    assert {int(pids[1]), int(pids[2])} <= _children(workers.proc.pid)
    # separate connections (a channel of its own subchannel pool each), as clients behind a
    # load balancer would open: the kernel gives each connection to one worker
    for _ in range(16):
        with grpc.insecure_channel(
            workers.target, options=[("grpc.use_local_subchannel_pool", 1)]
        ) as ch:
            routing_pb2_grpc.ReturnsRoutingStub(ch).ListDecisions(
                routing_pb2.ListDecisionsRequest(), timeout=30
            )
    lines = "\n".join(workers.lines)
    ports = re.findall(r"worker \d metrics on http://127\.0\.0\.1:(\d+)/metrics", lines)
    assert len(ports) == 2
    served = []
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            text = r.read().decode()
        m = re.search(r'reroute_rpc_requests_total\{code="OK",method="ListDecisions"\} (\S+)', text)
        served.append(float(m[1]) if m else 0.0)
        assert "process_cpu_seconds_total" in text  # each worker its own process metrics
    assert sum(served) == 16
    assert all(n > 0 for n in served), served


def test_health_command_probes_the_workers(
    workers: Workers, capsys: pytest.CaptureFixture[str]
) -> None:
    """`reroute health` (the container's HEALTHCHECK) says SERVING and exits 0; a port where
    nothing listens exits 1 with one line naming the address."""
    assert main(["health", "--server", workers.target]) == 0
    assert capsys.readouterr().out.strip() == "SERVING"
    assert main(["health", "--server", "127.0.0.1:9", "--timeout", "2"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("127.0.0.1:9: UNAVAILABLE")


def test_sigterm_to_the_parent_drains_every_worker(workers: Workers) -> None:
    """SIGTERM to the parent reaches each worker, which drains; the parent exits 0 and no
    worker is left behind."""
    pids = re.search(r"2 workers \(pids (\d+), (\d+)\)", "\n".join(workers.lines))
    assert pids is not None
    workers.proc.send_signal(signal.SIGTERM)
    assert workers.proc.wait(timeout=60) == 0, workers.stderr()
    assert workers.stderr().count("signal received: draining") == 2
    for pid in (int(pids[1]), int(pids[2])):
        assert not Path(f"/proc/{pid}").exists()  # ended, and reaped by the parent


def test_workers_refuse_a_database_they_cannot_share(tmp_path: Path) -> None:
    """An in-memory SQLite database cannot be shared by processes: one clear line, exit 2,
    before any worker starts."""
    w = Workers("--workers", "2", "--database-url", "sqlite://")
    try:
        assert w.proc.wait(timeout=60) == 2
        err = w.stderr().strip().splitlines()
        assert err[-1] == "error: database URL: an in-memory SQLite database is not shared"
    finally:
        w.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_taken_is_one_line_naming_it(workers: str) -> None:
    """The port held by a process that did not allow sharing it: the server (or every
    worker) cannot bind; one line naming the address, exit 2, no traceback, no worker left."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        w = Workers("--workers", workers, "--port", str(port))
        try:
            assert w.proc.wait(timeout=120) == 2
            err = w.stderr()
            assert err.strip().splitlines()[-1] == (
                f"error: cannot bind 127.0.0.1:{port}: in use by another process, or not an"
                " address of this machine"
            )
            assert "Traceback" not in err
        finally:
            w.close()


@pytest.mark.parametrize(
    ("host", "shown"),
    [("0.0.0.0", "0.0.0.0:7"), ("[::]", "[::]:7"), ("::", "[::]:7"), ("", "[::]:7")],
)
def test_bound_address_names_all_addresses_as_such(host: str, shown: str) -> None:
    """The address printed is the one bound: all addresses stay 0.0.0.0 / [::]."""
    from routing.rpc.server import bound_address

    assert bound_address(host, 7) == shown


def test_start_up_line_on_all_addresses() -> None:
    """`serve --host 0.0.0.0` says it listens on 0.0.0.0:PORT (not 127.0.0.1), and it does:
    a call to loopback on that port is answered."""
    w = Workers("--host", "0.0.0.0")
    try:
        assert re.search(r"listening on 0\.0\.0\.0:\d+$", w.lines[-1]), w.stderr()
        port = w.target.rsplit(":", 1)[1]
        with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
            routing_pb2_grpc.ReturnsRoutingStub(ch).ListDecisions(
                routing_pb2.ListDecisionsRequest(), timeout=30
            )
    finally:
        w.close()
