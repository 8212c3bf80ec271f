"""Per-call cost of ``CustomsEngine.assess`` on realistic RouteReturn crossings, before vs after.

"Before" is the ``customs`` package at a git ref (default ``HEAD``, extracted with ``git archive``),
"after" is the working tree. Each side is timed in its own fresh process (``--worker``), the sides
alternate for ``--rounds`` rounds and the best round counts, so both run on the same machine in
the same run. Amounts vary from call to call (``VARIANTS``), so nothing keyed on an amount can be
reused; the places, channel, reason and dates of a case stay the same, as for the crossings of one
request (and the requests of one day), so the engine's memos keyed on those are warm. The script
also checks that both sides return identical assessments.

    python benchmarks/customs_speed.py                 # HEAD vs working tree
    python benchmarks/customs_speed.py --baseline main~1 --rounds 3

Prints microseconds per call for each crossing, the speed-up, and writes
benchmarks/results/customs_speed.json.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import platform
import subprocess
import sys
import tarfile
import tempfile
import timeit
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "customs_speed.json"
ON = date(2026, 11, 22)


VARIANTS = 64  # amounts differ between the calls of one timing: no per-amount cache can help


def _cases() -> dict[str, Callable[[], Any]]:
    """name -> a zero-argument call of ``assess`` (built against whichever ``customs`` imports).

    Each call takes the next of ``VARIANTS`` inputs that differ only in amounts (a few cents
    apart, on the same side of every threshold), like the crossings of different requests.
    """
    from customs import (
        Channel,
        Crossing,
        CustomsItem,
        ImportRecord,
        ReturnReason,
        default_engine,
    )

    engine = default_engine()

    def gb_import(k: int) -> ImportRecord:
        return ImportRecord(
            "GB", date(2026, 11, 1), 0, 1500 + k, "GBP", vat_collected_at_checkout=True
        )

    def trainers(k: int) -> tuple[CustomsItem, ...]:
        return (CustomsItem("640411", 8999 + k, "GBP", 1, 900, True),)

    cases: dict[str, Callable[[int], tuple[Any, tuple[Any, ...]]]] = {
        "GB->DE courier, re-entry, VAT at checkout": lambda k: (
            Crossing(
                "GB",
                "DE",
                "DE",
                Channel.COURIER,
                ReturnReason.WRONG_SIZE,
                reentry=True,
                original_import=gb_import(k),
            ),
            trainers(k),
        ),
        "GB->NL courier into a bonded hub": lambda k: (
            Crossing(
                "GB",
                "NL",
                "DE",
                Channel.COURIER,
                ReturnReason.WRONG_SIZE,
                bonded_destination=True,
                original_import=gb_import(k),
            ),
            trainers(k),
        ),
        "US->CA courier": lambda k: (
            Crossing(
                "US",
                "CA",
                "CN",
                Channel.COURIER,
                ReturnReason.CHANGED_MIND,
                original_import=ImportRecord("US", date(2026, 11, 1), 0, 0, "USD"),
            ),
            (
                CustomsItem("640399", 12_000 + k, "USD", 1, 900, True),
                CustomsItem("610910", 2_500 + k, "USD", 2, 200, True),
            ),
        ),
        "FR->DE no border": lambda k: (
            Crossing("FR", "DE", "DE", Channel.POSTAL, ReturnReason.WRONG_SIZE),
            (CustomsItem("640399", 12_000 + k, "EUR", 1, 900, True),),
        ),
        "NO->DE re-entry, duty and VAT paid in NO": lambda k: (
            Crossing(
                "NO",
                "DE",
                "DE",
                Channel.COURIER,
                ReturnReason.DEFECTIVE,
                reentry=True,
                export_date=date(2026, 10, 20),
                original_import=ImportRecord(
                    "NO", date(2026, 10, 25), 15_000 + k, 40_000 + k, "NOK"
                ),
            ),
            (CustomsItem("640399", 150_000 + k, "NOK", 1, 900, True),),
        ),
    }
    return {
        name: _cycling(engine, [build(k) for k in range(VARIANTS)]) for name, build in cases.items()
    }


def _cycling(engine: Any, inputs: list[tuple[Any, tuple[Any, ...]]]) -> Callable[[], Any]:
    """A call of ``engine.assess`` on the next of ``inputs`` (round robin) each time."""
    cycle = itertools.cycle(inputs)

    def call() -> Any:
        crossing, items = next(cycle)
        return engine.assess(crossing, items, ON, currency="EUR")

    return call


def worker(root: str, number: int, repeat: int) -> None:
    """Time every case with ``customs`` imported from ``root``; print JSON on stdout."""
    sys.path.insert(0, root)
    import customs

    assert Path(customs.__file__).resolve().is_relative_to(Path(root).resolve()), customs.__file__
    out: dict[str, Any] = {}
    for name, call in _cases().items():
        answers = repr([call() for _ in range(VARIANTS)])
        digest = hashlib.sha256(answers.encode()).hexdigest()
        best = min(timeit.repeat(call, number=number, repeat=repeat)) / number
        out[name] = {"us": round(best * 1e6, 2), "digest": digest}
    json.dump(out, sys.stdout)


def _extract(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "customs"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def _run(root: Path, number: int, repeat: int) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--worker", str(root)]
    argv += ["--number", str(number), "--repeat", str(repeat)]
    result = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=root)
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="HEAD", help="git ref of the 'before' code")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per side")
    parser.add_argument("--number", type=int, default=2000, help="calls per timing")
    parser.add_argument("--repeat", type=int, default=5, help="timings per round")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.number, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        before_root = Path(tmp)
        _extract(args.baseline, before_root)
        sides: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            sides["before"].append(_run(before_root, args.number, args.repeat))
            sides["after"].append(_run(ROOT, args.number, args.repeat))
    cases: dict[str, Any] = {}
    print(f"{'crossing':44} {'before us':>10} {'after us':>10} {'speed-up':>9}  identical")
    for name in sides["before"][0]:
        before = min(r[name]["us"] for r in sides["before"])
        after = min(r[name]["us"] for r in sides["after"])
        same = {r[name]["digest"] for r in sides["before"] + sides["after"]}
        cases[name] = {
            "before_us": before,
            "after_us": after,
            "speedup": round(before / after, 2),
            "identical": len(same) == 1,
        }
        print(f"{name:44} {before:10.2f} {after:10.2f} {before / after:8.2f}x  {len(same) == 1}")
    total_before = sum(c["before_us"] for c in cases.values())
    total_after = sum(c["after_us"] for c in cases.values())
    print(
        f"{'all five':44} {total_before:10.2f} {total_after:10.2f} "
        f"{total_before / total_after:8.2f}x"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "command": "python " + " ".join(sys.argv),
                "baseline": args.baseline,
                "on": ON.isoformat(),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "calls_per_timing": args.number,
                "timings_per_round": args.repeat,
                "rounds": args.rounds,
                "cases": cases,
                "total_before_us": round(total_before, 2),
                "total_after_us": round(total_after, 2),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
