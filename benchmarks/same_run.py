"""Before/after CPU timings of the routing code in one run (option_speed, route_speed).

"Before" is ``routing``, ``customs`` and ``hubs`` at a git ref, extracted with ``git archive``;
"after" is the working tree. A benchmark script runs itself as a worker (``--worker ROOT``) in
a fresh process per side and round, the sides alternating, so both are measured on the same
machine in the same run. Nothing here imports the packages measured: a worker imports them
from its ROOT (:func:`load`).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import io
import json
import platform
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START = date(2026, 11, 2)  # first return date of the generated batch
COMPILED_ON = date(2026, 11, 22)  # FX date of the compiled rate cards (fixed: same answers)
PACKAGES = ("routing", "customs", "hubs")

Figures = dict[str, Any]


class OnlyRoot(importlib.abc.MetaPathFinder):
    """Finds ``routing``, ``customs`` and ``hubs`` (and their submodules) under ``root`` only.

    First on ``sys.meta_path``: without it a module missing under ``root`` (``routing.decide``
    at a ref from before the move) would be found by the editable install's finder, in the
    working tree, and run the other side's code."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(
            fullname, [str(self.root)] if path is None else path
        )
        if spec is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} under {self.root}", name=fullname
            )
        return spec


def find(name: str, *modules: str) -> tuple[Any, str]:
    """In a worker: ``name`` from the first of ``modules`` that defines it, and that module's
    name. List today's layout first and the one before routing/ was split by layer after, so
    a ref from before the split compares too. A module that exists but fails to import raises;
    LookupError (saying what was tried) when none defines ``name``."""
    tried: list[str] = []
    for candidate in modules:
        try:
            module = importlib.import_module(candidate)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if candidate != missing and not candidate.startswith(missing + "."):
                raise  # the candidate exists but imports something that does not
            tried.append(f"{candidate} (no such module)")
            continue
        if hasattr(module, name):
            return getattr(module, name), candidate
        tried.append(f"{candidate} (has no {name})")
    raise LookupError(f"{name!r} not found; tried {', '.join(tried)}")


def load(root: str, returns: int, seed: int) -> tuple[Any, list[Any]]:
    """In a worker: a Router on the default network and the generated batch, with the packages
    imported from ``root`` (checked)."""
    sys.path.insert(0, root)
    sys.meta_path.insert(0, OnlyRoot(Path(root)))
    import customs
    import routing
    from hubs import default_network

    generate_returns, _ = find("generate_returns", "routing.batches.generate", "routing.generate")
    router_class, _ = find("Router", "routing.decide.router", "routing.engine")

    assert Path(routing.__file__).resolve().is_relative_to(Path(root).resolve()), routing.__file__
    network = default_network()
    router = router_class(
        network, customs.default_engine(), customs.default_fx(), compiled_on=COMPILED_ON
    )
    batch = [ret for _, ret in generate_returns(returns, seed=seed, network=network, start=START)]
    return router, batch


def invalid_input() -> type[Exception]:
    """In a worker: the error for bad input (``InvalidInput``; ``InvalidArgument`` before the
    exception tree was named after the domain), so both sides' answers compare."""
    errors = importlib.import_module("routing.errors")
    found: type[Exception] = getattr(errors, "InvalidInput", None) or errors.InvalidArgument
    return found


def add_arguments(parser: argparse.ArgumentParser, *, returns: int) -> None:
    parser.add_argument("--baseline", default="HEAD", help="git ref of 'before', or none")
    parser.add_argument("--returns", type=int, default=returns, help="generated returns")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per side")
    parser.add_argument("--repeat", type=int, default=2, help="timings per round")
    parser.add_argument("--worker", help=argparse.SUPPRESS)


def _extract(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, *PACKAGES],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def alternate(
    script: str, args: argparse.Namespace, extra: Callable[[int], list[str]] = lambda n: []
) -> dict[str, list[Figures]]:
    """Each side's figures per round ("after", and "before" unless ``--baseline none``): the
    worker ``script`` run with ``--worker ROOT`` and the common options, plus ``extra(round)``,
    printing its figures as JSON."""
    sides: dict[str, list[Figures]] = {"after": []}

    def run(root: Path, n: int) -> Figures:
        argv = [sys.executable, script, "--worker", str(root), "--returns", str(args.returns)]
        argv += ["--seed", str(args.seed), "--repeat", str(args.repeat), *extra(n)]
        done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=root)
        figures: Figures = json.loads(done.stdout)
        return figures

    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline != "none":
            sides["before"] = []
            _extract(args.baseline, Path(tmp))
        for n in range(args.rounds):
            if "before" in sides:
                sides["before"].append(run(Path(tmp), n))
            sides["after"].append(run(ROOT, n))
    return sides


def row(args: argparse.Namespace) -> Figures:
    """What every result file records of the run."""
    return {
        "command": "python " + " ".join(sys.argv),
        "baseline": args.baseline,
        "returns": args.returns,
        "seed": args.seed,
        "rounds": args.rounds,
        "timings_per_round": args.repeat,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def write(path: Path, figures: Figures) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
