"""Server memory while plan jobs wait: N jobs of M returns submitted to a real `reroute serve`.

    python -m benchmarks.reliability.plan_queue_memory                 # 20 jobs x 20,000 returns
    python -m benchmarks.reliability.plan_queue_memory --reference /work/main

The first job runs (an hour's CP-SAT time limit, so it is still running at the end) and the
others wait QUEUED; the server's RSS is read from /proc before the first submission, during the
submissions (the peak) and after the last. A queued job's batch waits in the database, so the
growth is the running job's batch and the transient cost of decoding one request, not N
batches. ``--reference DIR`` runs the same against another checkout (e.g. the code before the
queue moved to the database) in the same run, and prints the ratio of the two growths. Writes
benchmarks/results/plan_queue_memory.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import grpc

from benchmarks.reliability.common import ROOT
from hubs import default_network
from reroute.v1 import planning_pb2, planning_pb2_grpc
from routing.batches.generate import generate_returns
from routing.rpc.wire.returns import return_to_proto

SUBMIT = "/reroute.v1.BatchPlanning/SubmitPlan"
START = date(2026, 11, 2)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def request_bytes(returns: int) -> bytes:
    batch = generate_returns(returns, seed=20, network=default_network(), start=START)
    req = planning_pb2.SubmitPlanRequest(
        returns=[
            planning_pb2.BatchReturn(return_id=rid, customer_return=return_to_proto(r))
            for rid, r in batch
        ],
        options=planning_pb2.PlanOptions(
            time_limit_s=3600, backend=planning_pb2.PLAN_BACKEND_CPSAT
        ),
    )
    return req.SerializeToString()


def measure(code: Path, payload: bytes, jobs: int, returns: int, ours: bool) -> dict[str, float]:
    """Start a server from checkout ``code``, submit ``jobs`` copies of ``payload``, read RSS."""
    data = Path(tempfile.mkdtemp(prefix="reroute-plan-memory-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "REROUTE_DATA_DIR": str(data)}
    env["PYTHONPATH"] = f"{code}{os.pathsep}{code / 'protos'}"
    env.pop("REROUTE_DATABASE_URL", None)
    flags = ["--auth", "none", "--rate-limit", "0", "--max-message-bytes", str(64 << 20)]
    if ours:
        flags += ["--plan-max-queued-jobs", str(jobs), "--plan-max-queued-returns"]
        flags += [str(jobs * returns)]
    cmd = [sys.executable, "-m", "routing.cli.main", "serve", "--port", "0", "--host"]
    with open(data / "server.log", "w") as log:
        proc = subprocess.Popen(
            [*cmd, "127.0.0.1", *flags],
            cwd=code,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert proc.stdout is not None
            target = ""
            while not target:
                line = proc.stdout.readline()
                if not line:
                    raise SystemExit(f"server did not start; see {data / 'server.log'}")
                if "listening on" in line:
                    target = line.rsplit(" ", 1)[-1].strip()
            return _submit_all(proc.pid, target, payload, jobs)
        finally:
            proc.kill()
            proc.wait()


def _submit_all(pid: int, target: str, payload: bytes, jobs: int) -> dict[str, float]:
    opts = [
        ("grpc.max_send_message_length", 64 << 20),
        ("grpc.max_receive_message_length", 64 << 20),
    ]
    with grpc.insecure_channel(target, options=opts) as channel:
        submit = channel.unary_unary(SUBMIT, request_serializer=None, response_deserializer=None)
        stub = planning_pb2_grpc.BatchPlanningStub(channel)
        time.sleep(2)  # settle after start-up
        before = rss_mb(pid)
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_mb(pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        ids = []
        t0 = time.perf_counter()
        for _ in range(jobs):
            ids.append(planning_pb2.PlanJob.FromString(submit(payload, timeout=300)).job_id)
        seconds = time.perf_counter() - t0
        time.sleep(3)  # the first job's batch is loaded and its plan process started
        after = rss_mb(pid)
        done.set()
        sampler.join()
        states = [
            stub.GetPlan(planning_pb2.GetPlanRequest(job_id=j), timeout=30).job.state for j in ids
        ]
        for j in ids:
            stub.CancelPlan(planning_pb2.CancelPlanRequest(job_id=j), timeout=30)
    return {
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "rss_peak_mb": round(max(peak[0], after), 1),
        "growth_mb": round(after - before, 1),
        "queued": sum(s == planning_pb2.PLAN_STATE_QUEUED for s in states),
        "running": sum(s == planning_pb2.PLAN_STATE_RUNNING for s in states),
        "submit_seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--returns", type=int, default=20_000)
    ap.add_argument("--reference", type=Path, help="another checkout to measure in the same run")
    a = ap.parse_args(argv)
    payload = request_bytes(a.returns)
    print(f"{a.jobs} jobs x {a.returns} returns ({len(payload) / 2**20:.1f} MB per request)")
    result: dict[str, object] = {"jobs": a.jobs, "returns": a.returns}
    runs = [("this checkout", ROOT, True)]
    if a.reference is not None:
        runs.append((f"reference {a.reference}", a.reference.resolve(), False))
    for name, code, ours in runs:
        got = measure(code, payload, a.jobs, a.returns, ours)
        result[name] = got
        print(
            f"{name}: server RSS {got['rss_before_mb']:.0f} -> {got['rss_after_mb']:.0f} MB"
            f" (+{got['growth_mb']:.0f} MB, peak {got['rss_peak_mb']:.0f} MB) with"
            f" {got['running']} running and {got['queued']} queued"
        )
    if a.reference is not None:
        ours_growth = result["this checkout"]["growth_mb"]  # type: ignore[index]
        ref_growth = result[f"reference {a.reference}"]["growth_mb"]  # type: ignore[index]
        ratio = ref_growth / max(ours_growth, 1.0)
        result["growth_ratio_reference_over_ours"] = round(ratio, 1)
        print(f"RSS growth, reference / this checkout: {ratio:.1f}x")
    out = ROOT / "benchmarks" / "results" / "plan_queue_memory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
