"""RouteReturn against an empty echo RPC, same server, same machine, same run.

Starts ``reroute serve --port 0 --bench-echo`` in its own process (the embedded network), then
drives it from one asyncio client process: first the echo method (raw bytes in, the same bytes
out: no parsing, no work), then RouteReturn, each with the same concurrency and duration. Both
clients send the same serialized RouteReturnRequest and do not parse answers, so the client
cost is equal and the difference is the server's work.

    python benchmarks/rpc_load.py --seconds 5 --rounds 3 --concurrency 16 [--baseline REF]

With ``--baseline REF`` the server of that git ref (``routing``, ``customs``, ``hubs``
extracted by ``git archive``) is measured too, each round starting one server per side in
turn; since the machine is shared, the sides compare by their server CPU per RouteReturn in
echo requests of their own server.

Prints both throughputs, their ratio, p50/p99 latencies and the server process's CPU time per
request (user + system, from /proc: what a request costs, whatever else the machine runs), and
writes benchmarks/results/rpc_load.json. Targets (issue 2): RouteReturn throughput >= 0.5 x
echo, p99 <= 2 x echo.

    python benchmarks/rpc_load.py --workers 1,2 --clients 2 --connections 8 --seconds 5

With ``--workers`` it compares ``reroute serve --workers N`` for each N instead (same run,
rounds alternating the servers): RouteReturn throughput of each against the first, with
``--clients`` client processes each opening ``--connections`` connections (the kernel gives
each connection to one worker: one connection would reach one worker only). Writes
benchmarks/results/rpc_load_workers.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import same_run  # noqa: E402
from routing.batches.examples import sample_return  # noqa: E402
from routing.decide.domain import Constraints  # noqa: E402
from routing.rpc.wire.returns import request_to_proto  # noqa: E402

ECHO = "/reroute.bench.Echo/Echo"
ROUTE = "/reroute.v1.ReturnsRouting/RouteReturn"


@dataclass
class Figures:
    method: str
    requests: int
    errors: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    server_cpu_us: float = float("nan")  # server process CPU (user+system) per request


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` used so far; NaN off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(
    pid: int, target: str, method: str, payload: bytes, seconds: float, concurrency: int
) -> Figures:
    """One ``_drive``, with the server's CPU per request (warm-up included in both counts)."""
    before = _cpu_s(pid)
    got = asyncio.run(_drive(target, method, payload, seconds, concurrency))
    used = _cpu_s(pid) - before
    return replace(got, server_cpu_us=round(used / (got.requests + got.errors + 50) * 1e6, 1))


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def _metadata() -> tuple[tuple[str, str], ...]:
    """The API key the server wrote at its first start (both methods carry it alike)."""
    key = (Path(os.environ["REROUTE_DATA_DIR"]) / "default.key").read_text().strip()
    return (("authorization", f"Bearer {key}"),)


async def _drive(
    target: str,
    method: str,
    payload: bytes,
    seconds: float,
    concurrency: int,
    connections: int = 1,
    raw: list[float] | None = None,
) -> Figures:
    """``concurrency`` callers for ``seconds`` over ``connections`` channels (more than one:
    each its own connection, not grpc's shared one); ``raw`` gets the latencies."""
    metadata = _metadata()
    options = [("grpc.use_local_subchannel_pool", 1)] if connections > 1 else []
    channels = [grpc.aio.insecure_channel(target, options=options) for _ in range(connections)]
    try:
        # no (de)serializers: bytes in, bytes out, the client never parses
        calls = [
            ch.unary_unary(method, request_serializer=None, response_deserializer=None)
            for ch in channels
        ]
        for i in range(max(50, connections)):  # warm-up, every connection opened
            await calls[i % connections](payload, metadata=metadata)
        latencies: list[float] = []
        errors = 0
        stop = time.perf_counter() + seconds

        async def worker(i: int) -> None:
            nonlocal errors
            call = calls[i % connections]
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    await call(payload, timeout=10, metadata=metadata)
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)

        t_start = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - t_start
    finally:
        for ch in channels:
            await ch.close(None)
    if raw is not None:
        raw.extend(latencies)
    latencies.sort()
    return Figures(
        method=method,
        requests=len(latencies),
        errors=errors,
        seconds=round(elapsed, 3),
        throughput_rps=round(len(latencies) / elapsed, 1),
        p50_ms=round(_percentile(latencies, 0.50) * 1000, 3),
        p99_ms=round(_percentile(latencies, 0.99) * 1000, 3),
    )


def _median(runs: list[Figures]) -> Figures:
    """The run of median throughput (its own latencies), errors summed over all runs."""
    ordered = sorted(runs, key=lambda f: f.throughput_rps)
    mid = ordered[len(ordered) // 2]
    return replace(mid, errors=sum(f.errors for f in runs))


def _start_server(
    root: Path = ROOT, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[str], str]:
    """``reroute serve`` of the code under ``root`` (the working tree, or a ref extracted by
    ``--baseline``), on a free port of the loopback address."""
    # a fresh database in a temp data dir (every RouteReturn is stored, as in production);
    # no rate limit: the benchmark measures the server's work, not the limiter
    os.environ["REROUTE_DATA_DIR"] = tempfile.mkdtemp(prefix="reroute-rpc-load-")
    os.environ.pop("REROUTE_DATABASE_URL", None)
    # that tree's command module (routing/cli/ since routing/ was split by layer)
    new_layout = (root / "routing" / "cli" / "main.py").exists()
    module = "routing.cli.main" if new_layout else "routing.cli"
    cmd = [sys.executable, "-m", module, "serve", "--port", "0", "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*cmd, "--bench-echo", "--rate-limit", "0", "--log-format", "text", *extra],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(root)},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "listening on" in line:
            return proc, line.rsplit(" ", 1)[-1].strip()
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("server did not start")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians reported")
    ap.add_argument(
        "--alternatives",
        default="0,5",
        help="comma-separated max_alternatives to measure RouteReturn with (default 0,5)",
    )
    ap.add_argument(
        "--baseline",
        default="",
        help="a git ref whose server is measured too, alternating with the working tree's",
    )
    ap.add_argument(
        "--workers",
        default="",
        help="compare `serve --workers N` for these N, e.g. 1,2 (RouteReturn only)",
    )
    ap.add_argument("--clients", type=int, default=1, help="client processes (with --workers)")
    ap.add_argument(
        "--connections", type=int, default=8, help="connections per client (with --workers)"
    )
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.workers:
        return workers_main(args)
    args.out = args.out or ROOT / "benchmarks" / "results" / "rpc_load.json"
    sample = sample_return(date.today())
    cases = [int(a) for a in args.alternatives.split(",")]
    payloads = {
        n: request_to_proto(
            replace(sample, constraints=Constraints(max_alternatives=n))
        ).SerializeToString()
        for n in cases
    }
    echo_payload = max(payloads.values(), key=len)  # the echo never gets a smaller payload
    sides = {"after": ROOT}
    runs: dict[str, tuple[list[Figures], dict[int, list[Figures]]]] = {}
    with tempfile.TemporaryDirectory(prefix="reroute-rpc-load-before-") as tmp:
        if args.baseline:
            same_run._extract(args.baseline, Path(tmp))
            sides["before"] = Path(tmp)
        for side in sides:
            runs[side] = ([], {n: [] for n in cases})
        # rounds alternate the sides, and the methods on each side's server, so a noisy
        # neighbour hurts them alike
        for _ in range(args.rounds):
            for side, root in sides.items():
                echo_runs, route_runs = runs[side]
                proc, target = _start_server(root)
                try:
                    echo_runs.append(
                        _run(proc.pid, target, ECHO, echo_payload, args.seconds, args.concurrency)
                    )
                    for n in cases:
                        route_runs[n].append(
                            _run(
                                proc.pid, target, ROUTE, payloads[n], args.seconds, args.concurrency
                            )
                        )
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
    results = {side: _report(side, *runs[side]) for side in sides}
    if "before" in results:
        print(
            f"before = {args.baseline}, after = the working tree: server CPU per RouteReturn"
            " in echo requests of the same server"
        )
        for n in cases:
            b = results["before"]["ratios"][str(n)]["server_cpu_ratio"]
            a = results["after"]["ratios"][str(n)]["server_cpu_ratio"]
            print(
                f"  max_alternatives={n}: before {b:.2f}, after {a:.2f}, after/before {a / b:.3f}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "baseline": args.baseline,
                "cpu_count": os.cpu_count(),
                **results["after"],
                "sides": results,
            },
            indent=2,
        )
    )
    print(f"wrote {args.out}")
    return 0 if all(r["errors"] == 0 for r in results.values()) else 1


def _report(
    side: str, echo_runs: list[Figures], route_runs: dict[int, list[Figures]]
) -> dict[str, Any]:
    """Print one side's medians and ratios to echo; return them for the JSON."""
    echo = _median(echo_runs)
    routes = {n: _median(runs) for n, runs in route_runs.items()}
    print(f"-- {side}")
    print(
        f"{'method':<40} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}"
        f" {'server CPU us/req':>18}"
    )
    rows = [("echo (raw bytes, no work)", echo)]
    rows += [(f"RouteReturn, max_alternatives={n}", f) for n, f in routes.items()]
    for name, f in rows:
        print(
            f"{name:<40} {f.throughput_rps:>10.1f} {f.p50_ms:>9.3f} {f.p99_ms:>9.3f} {f.errors:>7}"
            f" {f.server_cpu_us:>18.1f}"
        )
    summary = {}
    for n, f in routes.items():
        ratio = f.throughput_rps / echo.throughput_rps if echo.throughput_rps else 0.0
        p99_ratio = f.p99_ms / echo.p99_ms if echo.p99_ms else float("inf")
        cpu_ratio = f.server_cpu_us / echo.server_cpu_us if echo.server_cpu_us else float("nan")
        summary[n] = {
            "throughput_ratio": round(ratio, 3),
            "p99_ratio": round(p99_ratio, 3),
            "server_cpu_ratio": round(cpu_ratio, 3),
        }
        print(
            f"max_alternatives={n}: throughput ratio RouteReturn/echo = {ratio:.2f}"
            f" (target >= 0.5); p99 ratio = {p99_ratio:.2f} (target <= 2.0);"
            f" server CPU per request = {cpu_ratio:.1f} x echo"
        )
    return {
        "echo": asdict(echo),
        "route_return": {str(n): asdict(f) for n, f in routes.items()},
        "ratios": {str(n): r for n, r in summary.items()},
        "errors": echo.errors + sum(f.errors for f in routes.values()),
    }


def _server_cpu_s(pid: int) -> float:
    """CPU seconds of the server ``pid`` and its worker processes (``serve --workers``)."""
    total = _cpu_s(pid)
    try:
        kids = [
            int(c)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for c in (task / "children").read_text().split()
        ]
    except OSError:
        return total
    return total + sum(_cpu_s(k) for k in kids)


def _client(
    target: str, payload: bytes, seconds: float, concurrency: int, connections: int, out: Any
) -> None:
    """One client process (spawned): its requests, errors and latencies to ``out``."""
    raw: list[float] = []
    got = asyncio.run(_drive(target, ROUTE, payload, seconds, concurrency, connections, raw))
    out.put((got.requests, got.errors, got.seconds, raw))


def _drive_processes(pid: int, target: str, payload: bytes, args: argparse.Namespace) -> Figures:
    """RouteReturn from ``args.clients`` processes at once (``args.concurrency`` callers in
    all); their requests summed over the longest of their run times."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    per = max(1, args.concurrency // args.clients)
    before = _server_cpu_s(pid)
    procs = [
        ctx.Process(
            target=_client, args=(target, payload, args.seconds, per, args.connections, out)
        )
        for _ in range(args.clients)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=args.seconds + 300) for _ in procs]
    for p in procs:
        p.join(60)
    used = _server_cpu_s(pid) - before
    requests = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    latencies = sorted(x for r in results for x in r[3])
    return Figures(
        method=ROUTE,
        requests=requests,
        errors=errors,
        seconds=round(elapsed, 3),
        throughput_rps=round(requests / elapsed, 1),
        p50_ms=round(_percentile(latencies, 0.50) * 1000, 3),
        p99_ms=round(_percentile(latencies, 0.99) * 1000, 3),
        server_cpu_us=round(used / max(1, requests + errors) * 1e6, 1),
    )


def workers_main(args: argparse.Namespace) -> int:
    """``--workers 1,2``: RouteReturn throughput of each server against the first's, same run."""
    counts = [int(w) for w in args.workers.split(",")]
    if not counts or min(counts) < 1 or args.clients < 1 or args.connections < 1:
        raise SystemExit("--workers: a comma list of counts >= 1; --clients, --connections >= 1")
    n = int(args.alternatives.split(",")[0])
    sample = sample_return(date.today())
    payload = request_to_proto(
        replace(sample, constraints=Constraints(max_alternatives=n))
    ).SerializeToString()
    runs: dict[int, list[Figures]] = {w: [] for w in counts}
    for _ in range(args.rounds):  # rounds alternate the servers: a noisy neighbour hurts all
        for w in counts:
            proc, target = _start_server(ROOT, ("--workers", str(w)))
            try:
                runs[w].append(_drive_processes(proc.pid, target, payload, args))
            finally:
                proc.terminate()
                proc.wait(timeout=60)
    medians = {w: _median(r) for w, r in runs.items()}
    base = medians[counts[0]].throughput_rps
    print(
        f"RouteReturn (max_alternatives={n}), {args.clients} client processes x"
        f" {args.connections} connections, {args.concurrency} callers, {os.cpu_count()} cores;"
        f" medians of {args.rounds} rounds"
    )
    print(
        f"{'workers':>8} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}"
        f" {'server CPU us/req':>18} {'throughput ratio':>17}"
    )
    for w, f in medians.items():
        ratio = f.throughput_rps / base if base else float("nan")
        print(
            f"{w:>8} {f.throughput_rps:>10.1f} {f.p50_ms:>9.3f} {f.p99_ms:>9.3f} {f.errors:>7}"
            f" {f.server_cpu_us:>18.1f} {ratio:>17.2f}"
        )
    out = args.out or ROOT / "benchmarks" / "results" / "rpc_load_workers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "workers": counts,
                "clients": args.clients,
                "connections": args.connections,
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "cpu_count": os.cpu_count(),
                "medians": {str(w): asdict(f) for w, f in medians.items()},
                "throughput_ratio": {
                    str(w): round(f.throughput_rps / base, 3) if base else None
                    for w, f in medians.items()
                },
            },
            indent=2,
        )
    )
    print(f"wrote {out}")
    return 0 if all(f.errors == 0 for f in medians.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
