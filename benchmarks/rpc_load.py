"""RouteReturn against an empty echo RPC, same server, same machine, same run.

Starts ``reroute serve --port 0 --bench-echo`` in its own process (the embedded network), then
drives it from one asyncio client process: first the echo method (raw bytes in, the same bytes
out: no parsing, no work), then RouteReturn, each with the same concurrency and duration. Both
clients send the same serialized RouteReturnRequest and do not parse answers, so the client
cost is equal and the difference is the server's work.

    python benchmarks/rpc_load.py --seconds 10 --concurrency 16

Prints both throughputs, their ratio, p50/p99 latencies, and writes
benchmarks/results/rpc_load.json. Targets (issue 2): RouteReturn throughput >= 0.5 x echo,
p99 <= 2 x echo.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.convert import request_to_proto  # noqa: E402
from routing.examples import sample_return  # noqa: E402

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


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


async def _drive(
    target: str, method: str, payload: bytes, seconds: float, concurrency: int
) -> Figures:
    async with grpc.aio.insecure_channel(target) as channel:
        call = channel.unary_unary(method)  # bytes in, bytes out: the client never parses
        for _ in range(50):  # warm-up
            await call(payload)
        latencies: list[float] = []
        errors = 0
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    await call(payload, timeout=10)
                except grpc.aio.AioRpcError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)

        t_start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t_start
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


def _start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "routing.cli", "serve", "--port", "0", "--bench-echo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "rpc_load.json")
    args = ap.parse_args(argv)
    payload = request_to_proto(sample_return(date.today())).SerializeToString()
    proc, target = _start_server()
    try:
        echo = asyncio.run(_drive(target, ECHO, payload, args.seconds, args.concurrency))
        route = asyncio.run(_drive(target, ROUTE, payload, args.seconds, args.concurrency))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ratio = route.throughput_rps / echo.throughput_rps if echo.throughput_rps else 0.0
    p99_ratio = route.p99_ms / echo.p99_ms if echo.p99_ms else float("inf")
    print(f"{'method':<40} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for f in (echo, route):
        print(
            f"{f.method:<40} {f.throughput_rps:>10.1f} {f.p50_ms:>9.3f}"
            f" {f.p99_ms:>9.3f} {f.errors:>7}"
        )
    print(f"throughput ratio RouteReturn/echo = {ratio:.2f} (target >= 0.5)")
    print(f"p99 ratio RouteReturn/echo = {p99_ratio:.2f} (target <= 2.0)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "echo": asdict(echo),
                "route_return": asdict(route),
                "throughput_ratio": round(ratio, 3),
                "p99_ratio": round(p99_ratio, 3),
                "cpu_count": os.cpu_count(),
            },
            indent=2,
        )
    )
    print(f"wrote {args.out}")
    return 0 if echo.errors == 0 and route.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
