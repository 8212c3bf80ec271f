"""``reroute serve --workers N``: N server processes on one port, sharing the database.

Python runs one thread of Python at a time, so one process uses about one core; N processes
(each a whole server: network, router, store, edge) use N. They listen on the same address
with SO_REUSEPORT, and the kernel spreads the incoming *connections* over them (a client's
calls on one connection stay with one worker: clients that want the spread open several
connections, as a load balancer does). Everything they share goes through the database:
decisions and idempotency, capacity holds, API keys, rate-limit buckets
(:mod:`routing.store.rates`), plan jobs. The database must be one every process can open:
SQLite in WAL mode (a file; the default) or PostgreSQL.

The parent migrates the database, marks the plan jobs the last stop interrupted FAILED and
creates the first API key once, before the workers start (so they never race on any of it),
reserves the port when it is 0 (any free port; the workers then share the one it got), starts
the workers (``spawn``: a fresh interpreter each), prints the start-up lines once every worker
listens, and then only supervises: SIGTERM or SIGINT is passed to every worker, which drains as
a single server does; a worker that ends on its own ends the others, and the parent exits
non-zero (the service manager restarts the whole unit: a half-sized server is not left running
unnoticed). Worker ``i`` serves /metrics on the metrics port + ``i`` (each process has its own
counters and process metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import socket
import sys
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import wait
from types import FrameType
from typing import Any

from routing.rpc.server import (
    Running,
    ServerConfig,
    ServerConfigError,
    _open_database,
    bound_address,
    serve,
)
from routing.store.database import data_dir, redacted
from routing.store.tenants import bootstrap

log = logging.getLogger("reroute.service")
START_TIMEOUT_S = 120.0  # every worker loads and compiles the network before it listens


@dataclass(frozen=True, slots=True)
class _Started:
    index: int
    pid: int
    port: int
    metrics_port: int | None
    network: str


@dataclass(frozen=True, slots=True)
class _Failed:
    index: int
    message: str


def _worker(config: ServerConfig, index: int, log_format: str, ready: Any) -> None:
    """One worker process: the server of ``config``; tells ``ready`` once it listens."""
    from routing.observe import configure_logging

    configure_logging(log_format)

    def started(running: Running) -> None:
        name = running.app.network.name
        ready.put(_Started(index, os.getpid(), running.port, running.metrics_port, name))

    try:
        asyncio.run(serve(config, on_start=started))
    except ServerConfigError as exc:
        ready.put(_Failed(index, str(exc)))
        sys.exit(2)
    except OSError as exc:  # e.g. the port taken by a process without SO_REUSEPORT
        ready.put(_Failed(index, f"worker {index}: {exc}"))
        sys.exit(1)
    except KeyboardInterrupt:  # SIGINT before the server's own handler was installed
        sys.exit(0)


def _reserve_port(host: str) -> socket.socket:
    """A socket bound (not listening) to a free port of ``host`` with SO_REUSEPORT: the
    workers bind the same port beside it; it takes no connections itself."""
    bare = host.strip("[]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((bare or "::", 0))
    except OSError as exc:
        sock.close()
        raise ServerConfigError(f"--host {host}: cannot bind: {exc.strerror}") from exc
    return sock


def _prepare_database(config: ServerConfig) -> None:
    """Migrate once and create the default tenant's first key (when keys are on), so the
    workers find both done; prints what a single server prints about them. (Plan jobs a dead
    server left running are failed by the workers' lease expiry; queued ones are run.)"""
    engine = _open_database(config)
    try:
        print(f"reroute: database {redacted(str(engine.url))}", flush=True)
        if config.auth:
            key_file = bootstrap(engine, data_dir())
            if key_file is not None:
                print(
                    f"reroute: created tenant 'default' and its API key in {key_file}"
                    " (mode 0600; `reroute route` on this machine reads it)",
                    flush=True,
                )
    finally:
        engine.dispose()


def serve_workers(config: ServerConfig, workers: int, *, log_format: str = "json") -> int:
    """Run ``workers`` server processes on ``config``'s port until SIGTERM/SIGINT; the exit
    code (0: stopped by a signal and every worker drained)."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ServerConfigError("--workers > 1 needs SO_REUSEPORT (Linux, BSD, macOS)")
    reserved = _reserve_port(config.host) if config.port == 0 else None
    port = reserved.getsockname()[1] if reserved is not None else config.port
    _prepare_database(config)
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    procs: list[Any] = []
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for p in procs:
            if p.pid is not None and p.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGTERM)

    # before any worker exists: a signal from now on reaches every worker started
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for i in range(workers):
            metrics = config.metrics_port
            if metrics:  # 0 stays 0: any free port, each its own
                metrics += i
            child = replace(config, port=port, reuse_port=True, metrics_port=metrics)
            proc = ctx.Process(
                target=_worker, args=(child, i, log_format, ready), name=f"reroute-worker-{i}"
            )
            proc.start()
            procs.append(proc)
        code = _supervise(procs, ready, config, port, lambda: stopping)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if reserved is not None:
            reserved.close()
    return code


def _supervise(procs: list[Any], ready: Any, config: ServerConfig, port: int, stopping: Any) -> int:
    started: dict[int, _Started] = {}
    deadline = time.monotonic() + START_TIMEOUT_S
    failed = ""
    while len(started) < len(procs) and not failed and not stopping():
        try:
            got = ready.get(timeout=0.2)
        except queue.Empty:
            if any(p.exitcode is not None for p in procs):
                try:  # its reason may still be on its way
                    got = ready.get(timeout=1.0)
                except queue.Empty:
                    failed = "a worker ended before it listened (see its log above)"
                    continue
            elif time.monotonic() > deadline:
                failed = f"the workers did not all listen within {START_TIMEOUT_S:g} s"
                continue
            else:
                continue
        if isinstance(got, _Failed):
            failed = got.message
        else:
            started[got.index] = got
    if failed:
        _stop_all(procs)
        raise ServerConfigError(failed)
    if started:
        first = started[min(started)]
        for s in sorted(started.values(), key=lambda s: s.index):
            if s.metrics_port is not None:
                where = bound_address(config.host, s.metrics_port)
                print(f"reroute: worker {s.index} metrics on http://{where}/metrics", flush=True)
        pids = ", ".join(str(s.pid) for s in sorted(started.values(), key=lambda s: s.index))
        print(f"reroute: {len(procs)} workers (pids {pids})", flush=True)
        print(
            f"reroute: network {first.network!r}; listening on {bound_address(config.host, port)}",
            flush=True,
        )
    # supervise: a signal drains them all (on_signal); a worker ending on its own ends all
    while True:
        alive = [p for p in procs if p.exitcode is None]
        if not alive:
            break
        if not stopping() and len(alive) < len(procs):
            dead = [p for p in procs if p.exitcode is not None]
            log.error(
                "worker %s ended (exit code %s): stopping the other workers",
                dead[0].name,
                dead[0].exitcode,
            )
            _stop_all(procs)
            return 1
        wait([p.sentinel for p in alive], timeout=0.5)
    return 0 if all(p.exitcode == 0 for p in procs) else 1


def _stop_all(procs: list[Any], grace_s: float = 30.0) -> None:
    for p in procs:
        if p.exitcode is None and p.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.exitcode is None:
            p.kill()
            p.join()
