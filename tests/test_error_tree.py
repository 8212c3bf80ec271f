"""The one exception tree: every error class reroute raises on purpose descends from
RerouteError, and the tree drawn in routing/errors.py names each of them under its parent."""

from __future__ import annotations

import importlib
import pkgutil
import re

import routing.errors
from customs.errors import RerouteError

PACKAGES = ("customs", "hubs", "routing")


def _import_everything() -> None:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


def _subclasses(cls: type[BaseException]) -> set[type[BaseException]]:
    found = set()
    for sub in cls.__subclasses__():
        if sub.__module__.split(".")[0] in PACKAGES:
            found |= {sub} | _subclasses(sub)
    return found


def _drawn() -> dict[str, str]:
    """Class name -> parent name, read off the tree in the module docstring."""
    doc = routing.errors.__doc__ or ""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        m = re.match(r"^(\s*[│ ]*(?:├── |└── )?)([A-Z]\w+)\b", line)
        if not m or not re.search(r"(├── |└── )|^\s*RerouteError\s*$", line):
            continue
        depth, name = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def test_every_error_class_is_drawn_under_its_parent() -> None:
    """Each RerouteError subclass in customs, hubs and routing appears in the drawing with its
    real base, and the drawing names no class that does not exist."""
    _import_everything()
    real = {
        cls.__name__: next(b.__name__ for b in cls.__mro__[1:] if issubclass(b, RerouteError))
        for cls in _subclasses(RerouteError)
    }
    assert _drawn() == real


def test_nothing_outside_the_tree_is_raised_as_an_error_class() -> None:
    """No Exception subclass is defined in the product outside the tree (private control-flow
    signals excepted: their names start with an underscore)."""
    _import_everything()
    outside = sorted(
        f"{cls.__module__}.{cls.__name__}"
        for cls in _subclasses(Exception)
        if not issubclass(cls, RerouteError) and not cls.__name__.startswith("_")
    )
    assert outside == []
