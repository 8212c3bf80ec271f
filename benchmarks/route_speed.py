"""CPU time of ``Router.route`` (RouteReturn's decision) per return, before vs after.

"Before" is ``routing``, ``customs`` and ``hubs`` at a git ref (default ``HEAD``, extracted with
``git archive``), "after" is the working tree. Each side runs in its own fresh process
(``--worker``) on the same generated returns (``routing.batches.generate``, fixed seed) of the
default network; the sides alternate for ``--rounds`` rounds and each side's best round counts,
so both are measured on the same machine in the same run.

Each side also hashes every answer over a set of variants of the batch (``max_alternatives`` 0
and 5, split on and off, every third return with a tight refund SLA, every fifth with its
cheapest first stops full, every seventh without returnless): the whole Decision but its
``decision_id``, or the error raised (for NoFeasibleOption its violations). The speed-up only
counts when both sides answer identically.

    python benchmarks/route_speed.py                        # HEAD vs working tree
    python benchmarks/route_speed.py --returns 3000 --seed 11 --rounds 3
    python benchmarks/route_speed.py --baseline none        # the working tree only

Prints microseconds of CPU per ``route`` call (single unit-line returns as generated, split off)
for ``max_alternatives`` 0 and 5 on each side, and writes benchmarks/results/route_speed.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import same_run  # noqa: E402  (imports none of the packages measured)

RESULTS = ROOT / "benchmarks" / "results" / "route_speed.json"
WARM_UP = 200  # returns routed before timing (memos of the customs engine warm)
ALTERNATIVES = (0, 5)


def worker(root: str, returns: int, seed: int, repeat: int, check: bool) -> None:
    """Time ``route`` over the batch with the packages imported from ``root``; print JSON on
    stdout: the best CPU microseconds per call per ``max_alternatives`` and, with ``check``, a
    digest of every answer over the variants and how many answers were of each kind."""
    router, batch = same_run.load(root, returns, seed)
    from routing.errors import NoFeasibleOption

    InvalidInput = same_run.invalid_input()  # noqa: N806 (a class)

    figures: dict[str, Any] = {}
    if check:
        digest = hashlib.sha256()
        kinds: dict[str, int] = {}
        for i, ret in enumerate(batch):
            routes = router.compiled.routes(ret.customer_country, ret.origin_facility_id)
            full = frozenset(r.first_stop.id for r in routes[:2]) if i % 5 == 0 else frozenset()
            for alt in ALTERNATIVES:
                for split in (False, True):
                    c = dataclasses.replace(
                        ret.constraints,
                        max_alternatives=alt,
                        allow_split=split or ret.constraints.allow_split,
                        max_days_to_refund=(3 + i % 6) if i % 3 == 0 else None,
                        allow_returnless=ret.constraints.allow_returnless and i % 7 != 0,
                    )
                    r = dataclasses.replace(ret, constraints=c)
                    try:
                        d = router.route(r, time_limit_s=None if split else 0, full_facilities=full)
                    except NoFeasibleOption as exc:
                        answer: object = ("NoFeasibleOption", exc.violations)
                        kind = "no_feasible"
                    except InvalidInput as exc:
                        answer = ("InvalidInput", str(exc))
                        kind = "invalid"
                    else:
                        answer = dataclasses.replace(d, decision_id="")
                        kind = "split" if len(d.chosen.shipments) > 1 else "decided"
                    kinds[kind] = kinds.get(kind, 0) + 1
                    digest.update(repr(answer).encode())
        figures |= {"digest": digest.hexdigest(), "kinds": kinds}
    valid = []  # the returns timed (a rejected return would time its error path)
    for ret in batch:
        try:
            router.route(ret, time_limit_s=0)
        except (InvalidInput, NoFeasibleOption):
            continue
        valid.append(ret)
    for alt in ALTERNATIVES:
        rets = [
            dataclasses.replace(
                r, constraints=dataclasses.replace(r.constraints, max_alternatives=alt)
            )
            for r in valid
        ]
        for ret in rets[:WARM_UP]:
            router.route(ret, time_limit_s=0)
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            for ret in rets:
                router.route(ret, time_limit_s=0)
            best = min(best, time.process_time() - started)
        figures[f"us_alt{alt}"] = round(best / len(rets) * 1e6, 1)
    json.dump(figures | {"timed": len(valid)}, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    same_run.add_arguments(parser, returns=2000)
    parser.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.returns, args.seed, args.repeat, args.check)
        return
    # answers are checked in the first round of each side
    sides = same_run.alternate(__file__, args, lambda n: ["--check"] if n == 0 else [])
    print(f"Router.route on {args.returns} generated returns (seed {args.seed}), CPU per call")
    row = same_run.row(args)
    for alt in ALTERNATIVES:
        best = {side: min(r[f"us_alt{alt}"] for r in runs) for side, runs in sides.items()}
        line = f"  max_alternatives={alt}: " + ", ".join(
            f"{side} {us:.1f} us" for side, us in best.items()
        )
        row[f"after_us_alt{alt}"] = best["after"]
        if "before" in best:
            row[f"before_us_alt{alt}"] = best["before"]
            row[f"speedup_alt{alt}"] = round(best["before"] / best["after"], 2)
            line += f", speed-up {best['before'] / best['after']:.2f}x"
        print(line)
    checked = {side: runs[0] for side, runs in sides.items()}
    identical = len({c["digest"] for c in checked.values()}) == 1
    row["answers"] = checked["after"]["kinds"]
    row["identical"] = identical
    print(f"  answers over the variants: {checked['after']['kinds']}")
    if "before" in checked:
        print(f"  identical to {args.baseline}: {identical}")
    same_run.write(RESULTS, row)


if __name__ == "__main__":
    main()
