"""CPU time of batch-plan option generation (``Router.plan_choices``) per return, before vs after.

"Before" is ``routing``, ``customs`` and ``hubs`` at a git ref (default ``HEAD``, extracted with
``git archive``), "after" is the working tree. Each side runs in its own fresh process
(``--worker``) on the same generated returns (``routing.generate``, fixed seed) of the default
network; the sides alternate for ``--rounds`` rounds and each side's best round counts, so both
are measured on the same machine in the same run. Each side also hashes every PlanChoice it
produced: the speed-up only counts when both sides answer identically.

    python benchmarks/option_speed.py                      # HEAD vs working tree, 5,000 returns
    python benchmarks/option_speed.py --returns 20000 --seed 7 --rounds 3
    python benchmarks/option_speed.py --baseline none      # the working tree only

Prints microseconds of CPU per return for each side and the speed-up, and writes
benchmarks/results/option_speed.json. Issue 4's budget: 1M returns planned within 10 minutes on
2 cores leaves option generation about 0.2 ms of CPU per return.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "option_speed.json"
START = date(2026, 11, 2)  # first return date of the generated batch
COMPILED_ON = date(2026, 11, 22)  # FX date of the compiled rate cards (fixed: same answers)
PACKAGES = ("routing", "customs", "hubs")
WARM_UP = 200  # returns routed before timing (memos of a day's lanes warm, as in a batch)


def worker(root: str, returns: int, seed: int, repeat: int) -> None:
    """Time ``plan_choices`` over the batch with the packages imported from ``root``; print
    JSON on stdout: the best CPU microseconds per return and a digest of every answer."""
    sys.path.insert(0, root)
    import customs
    import routing
    from hubs import default_network
    from routing.engine import Router
    from routing.errors import InvalidArgument
    from routing.generate import generate_returns

    assert Path(routing.__file__).resolve().is_relative_to(Path(root).resolve()), routing.__file__
    network = default_network()
    router = Router(
        network, customs.default_engine(), customs.default_fx(), compiled_on=COMPILED_ON
    )
    batch = [ret for _, ret in generate_returns(returns, seed=seed, network=network, start=START)]
    digest = hashlib.sha256()
    valid = []  # the returns timed (a rejected return would time its error path)
    for ret in batch:
        try:
            answer: object = router.plan_choices(ret)
        except InvalidArgument as exc:
            answer = ("InvalidArgument", str(exc))
        else:
            valid.append(ret)
        digest.update(repr(answer).encode())
    plan = router.plan_choices
    for ret in valid[:WARM_UP]:
        plan(ret)
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for ret in valid:
            plan(ret)
        best = min(best, time.process_time() - started)
    figures = {"us": round(best / len(valid) * 1e6, 1), "digest": digest.hexdigest()}
    json.dump(figures | {"timed": len(valid)}, sys.stdout)


def _extract(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, *PACKAGES],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def _run(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--worker", str(root), "--returns", str(args.returns)]
    argv += ["--seed", str(args.seed), "--repeat", str(args.repeat)]
    result = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=root)
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="HEAD", help="git ref of 'before', or none")
    parser.add_argument("--returns", type=int, default=5000, help="generated returns")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per side")
    parser.add_argument("--repeat", type=int, default=2, help="timings per round")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.returns, args.seed, args.repeat)
        return
    sides: dict[str, list[dict[str, Any]]] = {"after": []}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline != "none":
            sides["before"] = []
            _extract(args.baseline, Path(tmp))
        for _ in range(args.rounds):
            if "before" in sides:
                sides["before"].append(_run(Path(tmp), args))
            sides["after"].append(_run(ROOT, args))
    best = {side: min(r["us"] for r in runs) for side, runs in sides.items()}
    digests = {r["digest"] for runs in sides.values() for r in runs}
    identical = len(digests) == 1
    print(f"plan_choices on {args.returns} generated returns (seed {args.seed}), CPU per return")
    for side, us in best.items():
        print(f"  {side:6} {us:8.1f} us")
    row: dict[str, Any] = {
        "command": "python " + " ".join(sys.argv),
        "baseline": args.baseline,
        "returns": args.returns,
        "seed": args.seed,
        "rounds": args.rounds,
        "timings_per_round": args.repeat,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "after_us_per_return": best["after"],
        "identical": identical,
    }
    if "before" in best:
        speedup = best["before"] / best["after"]
        row["before_us_per_return"] = best["before"]
        row["speedup"] = round(speedup, 2)
        print(f"  speed-up {speedup:.2f}x, answers identical: {identical}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(row, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
