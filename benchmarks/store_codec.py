"""CPU time of a decision's stored form (``routing.store.codec``) against the wire path the
store used before (``reroute.v1.RouteDecision`` via ``routing.rpc.convert``).

Routes generated returns of the default network (``routing.batches.generate``, fixed seed)
through the Router as ``benchmarks/same_run.py`` builds it, with ``max_alternatives`` 5, then
times per decision: encode (``encode_decision`` / ``decision_to_proto(..).SerializeToString()``)
and decode (``decode_decision`` / ``decision_from_proto(RouteDecision.FromString(..))``), best
of ``--repeat`` passes, results discarded as they come (as a server does).

    python benchmarks/store_codec.py                 # 2,000 returns
    python benchmarks/store_codec.py --returns 500 --repeat 3

Prints microseconds per decision and mean bytes for both, and writes
benchmarks/results/store_codec.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import same_run  # noqa: E402
from reroute.v1 import routing_pb2  # noqa: E402
from routing.decide.domain import Decision  # noqa: E402
from routing.errors import InvalidInput, NoFeasibleOption  # noqa: E402
from routing.rpc.wire.decisions import decision_from_proto, decision_to_proto  # noqa: E402
from routing.store.codec import decode_decision, encode_decision  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "store_codec.json"
ALTERNATIVES = 5


def best_us(f: Callable[[Any], object], xs: Sequence[Any], repeat: int) -> float:
    """Best CPU microseconds per call of ``f`` over ``xs`` in ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for x in xs:
            f(x)
        best = min(best, time.process_time() - started)
    return round(best / len(xs) * 1e6, 1)


def routed(returns: int, seed: int) -> list[Decision]:
    router, batch = same_run.load(str(ROOT), returns, seed)
    out = []
    for ret in batch:
        c = dataclasses.replace(ret.constraints, max_alternatives=ALTERNATIVES)
        try:
            out.append(router.route(dataclasses.replace(ret, constraints=c), time_limit_s=0))
        except (InvalidInput, NoFeasibleOption):
            continue
    return out


def proto_encode(d: Decision) -> bytes:
    return decision_to_proto(d).SerializeToString()


def proto_decode(blob: bytes) -> Decision:
    return decision_from_proto(routing_pb2.RouteDecision.FromString(blob))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--returns", type=int, default=2000, help="generated returns")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes; the best counts")
    args = parser.parse_args()
    decisions = routed(args.returns, args.seed)
    wire = [proto_encode(d) for d in decisions]
    stored = [encode_decision(d) for d in decisions]
    assert [decode_decision(b) for b in stored] == decisions
    figures: dict[str, Any] = {
        "command": "python " + " ".join(sys.argv),
        "returns": args.returns,
        "seed": args.seed,
        "decisions": len(decisions),
        "mean_alternatives": round(statistics.mean(len(d.alternatives) for d in decisions), 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    for name, enc, dec, blobs in (
        ("proto", proto_encode, proto_decode, wire),
        ("codec", encode_decision, decode_decision, stored),
    ):
        figures[f"{name}_encode_us"] = best_us(enc, decisions, args.repeat)
        figures[f"{name}_decode_us"] = best_us(dec, blobs, args.repeat)
        figures[f"{name}_bytes"] = round(statistics.mean(len(b) for b in blobs))
    print(
        f"{len(decisions)} decisions (mean {figures['mean_alternatives']} alternatives),"
        " CPU per decision:"
    )
    for name in ("proto", "codec"):
        print(
            f"  {name:5}  encode {figures[f'{name}_encode_us']:7.1f} us"
            f"  decode {figures[f'{name}_decode_us']:7.1f} us"
            f"  {figures[f'{name}_bytes']:6d} bytes"
        )
    for step in ("encode", "decode"):
        figures[f"{step}_speedup"] = round(
            figures[f"proto_{step}_us"] / figures[f"codec_{step}_us"], 2
        )
    print(
        f"  codec vs proto: encode {figures['encode_speedup']}x,"
        f" decode {figures['decode_speedup']}x"
    )
    same_run.write(RESULTS, figures)


if __name__ == "__main__":
    main()
