"""Soak: RouteReturn at 80 % of the measured maximum throughput, for minutes, against a real
server storing every decision; zero errors and flat memory expected.

    python benchmarks/reliability/soak.py --minutes 10

First measures the maximum (closed loop, ``--concurrency`` clients, ``--probe-seconds``), then
sends at ``--fraction`` of it, paced (open loop), for ``--minutes``, sampling the server's RSS
every 5 s. Memory is flat when the mean RSS of the last minute is within ``--rss-tolerance``
(default 10 %) of the mean RSS of the first full minute after warm-up (the second). Writes
benchmarks/results/reliability_soak.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import grpc

from benchmarks.reliability.common import ROOT, ServerProcess
from routing.batches.examples import sample_return
from routing.decide.domain import Constraints
from routing.rpc.wire.returns import request_to_proto

ROUTE = "/reroute.v1.ReturnsRouting/RouteReturn"
DAYS = 365


async def _closed_loop(
    target: str, payloads: list[bytes], md: tuple[tuple[str, str], ...], seconds: float, n: int
) -> float:
    async with grpc.aio.insecure_channel(target) as channel:
        call = channel.unary_unary(ROUTE, request_serializer=None, response_deserializer=None)
        for k in range(50):
            await call(payloads[k % len(payloads)], metadata=md, timeout=30)
        done = 0
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                await call(payloads[done % len(payloads)], metadata=md, timeout=30)
                done += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(n)))
        return done / (time.perf_counter() - t0)


async def _paced(
    server: ServerProcess,
    payloads: list[bytes],
    md: tuple[tuple[str, str], ...],
    rate: float,
    seconds: float,
    n: int,
) -> dict[str, object]:
    errors: dict[str, int] = {}
    latencies: list[float] = []
    rss: list[tuple[float, int]] = []
    sent = 0
    async with grpc.aio.insecure_channel(server.target) as channel:
        call = channel.unary_unary(ROUTE, request_serializer=None, response_deserializer=None)
        start = time.perf_counter()
        end = start + seconds
        interval = n / rate  # each of n workers sends every `interval` seconds

        async def worker(k: int) -> None:
            nonlocal sent
            slot = start + k * interval / n
            while slot < end:
                delay = slot - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                t0 = time.perf_counter()
                try:
                    await call(payloads[sent % len(payloads)], metadata=md, timeout=30)
                    latencies.append(time.perf_counter() - t0)
                except grpc.aio.AioRpcError as err:
                    errors[err.code().name] = errors.get(err.code().name, 0) + 1
                sent += 1
                slot += interval

        async def sampler() -> None:
            while time.perf_counter() < end:
                rss.append((time.perf_counter() - start, server.rss_kib()))
                await asyncio.sleep(5)

        await asyncio.gather(sampler(), *(worker(k) for k in range(n)))
        elapsed = time.perf_counter() - start
    latencies.sort()

    def minute(m: int) -> int | None:
        values = [kib for t, kib in rss if m * 60 <= t < (m + 1) * 60]
        return round(statistics.fmean(values)) if values else None

    last = int(seconds // 60) - 1
    return {
        "sent": sent,
        "seconds": round(elapsed, 1),
        "achieved_rps": round(sent / elapsed, 1),
        "errors": errors,
        "p50_ms": round(latencies[len(latencies) // 2] * 1e3, 2) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1e3, 2) if latencies else None,
        "rss_kib_samples": rss,
        "rss_kib_minute_2": minute(1),
        "rss_kib_last_minute": minute(last) if last >= 1 else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--fraction", type=float, default=0.8)
    ap.add_argument("--probe-seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rss-tolerance", type=float, default=0.10)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/reliability_soak.json")
    args = ap.parse_args(argv)
    # one return per routing day over a year, round robin: every decision holds capacity, and
    # a single day's would run out in minutes (then answers are CAPACITY_FULL, not load)
    payloads = [
        request_to_proto(
            replace(
                sample_return(date.today() - timedelta(days=k)),
                constraints=Constraints(max_alternatives=0),
            )
        ).SerializeToString()
        for k in range(DAYS)
    ]
    server = ServerProcess(None, "--rate-limit", "0", "--log-format", "json")
    md = (("authorization", f"Bearer {server.key()}"),)
    try:
        max_rps = asyncio.run(
            _closed_loop(server.target, payloads, md, args.probe_seconds, args.concurrency)
        )
        rate = max_rps * args.fraction
        print(f"max {max_rps:.0f} req/s; soaking at {rate:.0f} req/s for {args.minutes} min")
        soak = asyncio.run(_paced(server, payloads, md, rate, args.minutes * 60, args.concurrency))
    finally:
        server.stop()
    first, last = soak["rss_kib_minute_2"], soak["rss_kib_last_minute"]
    flat = (
        isinstance(first, int)
        and isinstance(last, int)
        and abs(last - first) <= args.rss_tolerance * first
    )
    result = {
        "max_rps": round(max_rps, 1),
        "target_rps": round(rate, 1),
        **soak,
        "flat_memory": flat,
    }
    summary = {k: v for k, v in result.items() if k != "rss_kib_samples"}
    print(json.dumps(summary, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0 if not soak["errors"] and (flat or args.minutes < 2) else 1


if __name__ == "__main__":
    raise SystemExit(main())
