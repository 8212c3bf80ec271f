"""Seeded SSCFLP instances harder than the published sets, in the style of Yang, Chu & Chen (2012).

    python benchmarks/sscflp_generate.py OUT_FOLDER [--seed N] [--sizes 60x200,80x400]
                                         [--ratios 3,5,10]

Writes one instance per (size, capacity ratio) in the Holmberg layout that
``benchmarks/sscflp.py`` and :func:`routing.solver.load_sscflp` read (``m n``, m lines
``s_i f_i``, n demands, m*n facility-major costs; LF line ends), named ``y1``, ``y2``, ... in
the order listed, and ``index.json`` saying which size, ratio and seed made each.

Yang, Chu & Chen, "A cut-and-solve based algorithm for the single-source capacitated facility
location problem", EJOR 221(3) (2012) 521-532, generated instances of 30x200 to 80x400 whose
total capacity is 3, 5 or 10 times the total demand; that the largest of these are where the
published sets (Holmberg up to 30x200, Delmaire up to 30x90) stop being hard is the reason to
have them. Their exact distributions are not reproduced here (we have no copy of their
generator): ours are Holmberg-like and stated below, so "in the style of" means the sizes and
the capacity ratio, not the numbers.

- sites and customers uniform in a 100 x 100 square;
- demand d_j uniform integer in [5, 35];
- cost of serving all of customer j from site i: round(d_j * euclidean distance / 10);
- raw capacity uniform integer in [50, 150], scaled so that sum s_i = ratio * sum d_j
  (rounded down; at least the largest demand);
- fixed cost: round(capacity * uniform[8, 12] + uniform[0, 200]): opening cost grows with
  size, with a scale economy so that large sites are cheaper per unit of capacity.

The same seed, sizes and ratios always write the same files (numpy's PCG64 generator).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

DEFAULT_SIZES = ((60, 200), (60, 300), (80, 400))
DEFAULT_RATIOS = (3, 5, 10)


def instance_text(m: int, n: int, ratio: float, seed: int) -> str:
    """One instance of m sites and n customers with total capacity ``ratio`` x total demand."""
    rng = np.random.default_rng([seed, m, n, int(ratio * 1000)])
    sites = rng.uniform(0, 100, size=(m, 2))
    customers = rng.uniform(0, 100, size=(n, 2))
    demand = rng.integers(5, 36, size=n)
    dist = np.sqrt(((sites[:, None, :] - customers[None, :, :]) ** 2).sum(axis=2))
    cost = np.rint(demand[None, :] * dist / 10).astype(np.int64)
    raw = rng.integers(50, 151, size=m).astype(np.float64)
    capacity = np.floor(raw * ratio * demand.sum() / raw.sum()).astype(np.int64)
    capacity = np.maximum(capacity, int(demand.max()))
    fixed = np.rint(capacity * rng.uniform(8, 12, size=m) + rng.uniform(0, 200, size=m))
    lines = [f"{m} {n}"]
    lines += [f"{int(s)} {int(f)}" for s, f in zip(capacity, fixed.astype(np.int64), strict=True)]
    lines += [" ".join(str(int(d)) for d in demand[k : k + 10]) for k in range(0, n, 10)]
    for i in range(m):
        lines += [" ".join(str(int(c)) for c in cost[i, k : k + 10]) for k in range(0, n, 10)]
    return "\n".join(lines) + "\n"


def _size(text: str) -> tuple[int, int]:
    try:
        m, n = (int(t) for t in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is MxN (e.g. 60x200), got {text!r}") from None
    if not (1 <= m <= 1000 and 1 <= n <= 10000):
        raise argparse.ArgumentTypeError(f"size {text!r}: m in [1, 1000], n in [1, 10000]")
    return m, n


def _ratio(text: str) -> float:
    try:
        r = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a ratio is a number, got {text!r}") from None
    if not 1.0 < r <= 100.0:
        raise argparse.ArgumentTypeError(f"ratio {text!r}: must be in (1, 100]")
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=2012)
    ap.add_argument("--sizes", default=",".join(f"{m}x{n}" for m, n in DEFAULT_SIZES))
    ap.add_argument("--ratios", default=",".join(str(r) for r in DEFAULT_RATIOS))
    args = ap.parse_args(argv)
    try:
        sizes = [_size(s) for s in args.sizes.split(",")]
        ratios = [_ratio(r) for r in args.ratios.split(",")]
    except argparse.ArgumentTypeError as exc:
        ap.error(str(exc))
    args.out.mkdir(parents=True, exist_ok=True)
    index = []
    number = 0
    for m, n in sizes:
        for r in ratios:
            number += 1
            name = f"y{number}"
            (args.out / name).write_text(instance_text(m, n, r, args.seed))
            index.append({"instance": name, "m": m, "n": n, "ratio": r, "seed": args.seed})
            print(f"{name}: {m}x{n}, capacity ratio {r:g}, seed {args.seed}")
    (args.out / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    print(f"wrote {number} instances to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
