"""The package layout holds: layers import downward only, no cycles, the wire contract stays at
the edge, modules stay a readable size. Read from the source (every import statement,
function-level ones included), so a violation fails here before anyone has to spot it."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("customs", "hubs", "routing")
MAX_LINES = 900

# The layers from the top down: each may import the ones below it, never one above. Units are
# the top-level packages and routing's layers (its subpackages and the two leaf modules).
ORDER = (
    "routing.cli",
    "routing.rpc",
    "routing.whatif",
    "routing.store",
    "routing.plan",
    "routing.batches",
    "routing.decide",
    "routing.solver",
    "routing.observe",
    "routing.errors",
    "hubs",
    "customs",
)
ALLOWED: dict[str, set[str]] = {unit: set(ORDER[i + 1 :]) for i, unit in enumerate(ORDER)}
ALLOWED["routing"] = set()  # the package itself: a docstring and an empty __all__
WIRE_LAYERS = {"routing.rpc", "routing.cli"}  # the only importers of reroute.v1
# Migrations are frozen history, run only by ``routing.store.database.upgrade``: the one that
# converts rows stored as wire bytes (before the store had a form of its own) must decode them
# with the wire converter. They are left out of the layer and wire checks, nothing else is.
MIGRATIONS = ROOT / "routing" / "store" / "migrations"


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _unit(module: str) -> str:
    """The layer a module belongs to: ``routing.<layer>`` for routing, else its package."""
    parts = module.split(".")
    if parts[0] != "routing" or len(parts) == 1:
        return parts[0]
    return f"routing.{parts[1]}"


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every absolute import in the file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:  # `from routing import errors` imports routing.errors
                if node.module in ("routing", "reroute"):
                    yield node.lineno, f"{node.module}.{alias.name}"


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, path in _modules():
        if path.is_relative_to(MIGRATIONS):
            continue
        for line, imported in _imports(path):
            if imported.split(".")[0] not in PACKAGES or imported == "routing":
                continue
            a, b = _unit(name), _unit(imported)
            if a != b:
                edges[(a, b)].append(f"{path.relative_to(ROOT)}:{line}")
    return edges


def test_every_unit_is_known() -> None:
    """Every package and routing layer has its row in ALLOWED (a new layer is a decision)."""
    units = {_unit(name) for name, _ in _modules()}
    assert units - set(ALLOWED) == set()


def test_layers_import_downward_only() -> None:
    """No module imports a layer its own layer may not use: customs and hubs never import
    routing, decide never imports plan, store never imports the edge, and so on."""
    wrong = [
        f"{a} -> {b} ({', '.join(where[:3])})"
        for (a, b), where in sorted(_edges().items())
        if b not in ALLOWED.get(a, set())
    ]
    assert wrong == []


def test_no_cycle_between_units() -> None:
    """The unit graph is acyclic (a topological order exists)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in _edges():
        graph[a].add(b)
    done: set[str] = set()
    stack: list[str] = []

    def visit(node: str) -> None:
        if node in stack:
            cycle = [*stack[stack.index(node) :], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        stack.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        stack.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)


def test_wire_contract_only_at_the_edge() -> None:
    """``reroute.v1`` (the generated ``*_pb2`` modules) is imported only under routing/rpc and
    routing/cli: the engine, the planner and the store never see a protobuf message."""
    wrong = []
    for name, path in _modules():
        if _unit(name) in WIRE_LAYERS or path.is_relative_to(MIGRATIONS):
            continue
        for line, imported in _imports(path):
            if imported.startswith("reroute") or imported.endswith("_pb2"):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {imported}")
    assert wrong == []


def test_modules_stay_readable() -> None:
    """No hand-written module is over MAX_LINES lines (generated bindings live in protos/)."""
    long = {
        str(path.relative_to(ROOT)): n
        for _, path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
