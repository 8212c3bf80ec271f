"""CPU time of batch-plan option generation (``Router.plan_choices``) per return, before vs after.

"Before" is ``routing``, ``customs`` and ``hubs`` at a git ref (default ``HEAD``, extracted with
``git archive``), "after" is the working tree. Each side runs in its own fresh process
(``--worker``) on the same generated returns (``routing.batches.generate``, fixed seed) of the
default network; the sides alternate for ``--rounds`` rounds and each side's best round counts,
so both are measured on the same machine in the same run. Each side also hashes every PlanChoice
it
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
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import same_run  # noqa: E402  (imports none of the packages measured)

RESULTS = ROOT / "benchmarks" / "results" / "option_speed.json"
WARM_UP = 200  # returns routed before timing (memos of a day's lanes warm, as in a batch)


def worker(root: str, returns: int, seed: int, repeat: int) -> None:
    """Time ``plan_choices`` over the batch with the packages imported from ``root``; print
    JSON on stdout: the best CPU microseconds per return and a digest of every answer."""
    router, batch = same_run.load(root, returns, seed)
    InvalidInput = same_run.invalid_input()  # noqa: N806 (a class)

    digest = hashlib.sha256()
    valid = []  # the returns timed (a rejected return would time its error path)
    for ret in batch:
        try:
            answer: object = router.plan_choices(ret)
        except InvalidInput as exc:
            answer = ("InvalidInput", str(exc))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    same_run.add_arguments(parser, returns=5000)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.returns, args.seed, args.repeat)
        return
    sides = same_run.alternate(__file__, args)
    best = {side: min(r["us"] for r in runs) for side, runs in sides.items()}
    digests = {r["digest"] for runs in sides.values() for r in runs}
    identical = len(digests) == 1
    print(f"plan_choices on {args.returns} generated returns (seed {args.seed}), CPU per return")
    for side, us in best.items():
        print(f"  {side:6} {us:8.1f} us")
    row = same_run.row(args) | {"after_us_per_return": best["after"], "identical": identical}
    if "before" in best:
        speedup = best["before"] / best["after"]
        row["before_us_per_return"] = best["before"]
        row["speedup"] = round(speedup, 2)
        print(f"  speed-up {speedup:.2f}x, answers identical: {identical}")
    same_run.write(RESULTS, row)


if __name__ == "__main__":
    main()
