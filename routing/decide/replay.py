"""Replaying a decision: the versions it was made with, and what changed when it is made again.

A decision keeps its canonical request (``Decision.request``) and content hashes of what it
was made with: the network (``network_version``) and the customs tables with their FX rates
(``rules_version``). :func:`content_hash` is that hash: SHA-256 of a canonical JSON form of
the objects (dataclasses by field, enums by value, sets and mappings sorted, dates ISO 8601),
the same in every process whatever the hash seed.

:func:`diff_decisions` compares a stored decision with the same request routed again: every
leaf field of both, flattened to paths (``chosen.shipments[0].terms[2].amount_minor``), that
differs. The decision id, which every routing draws anew, and the request, which is the same by
construction, are not compared; so a replay on the same network and rules answers no
difference at all.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from routing.decide.domain import Decision

__all__ = ["Difference", "content_hash", "diff_decisions"]

# fields of a Decision that a replay does not compare (see the module docstring)
_NOT_COMPARED = frozenset({"decision_id", "request"})
MAX_DIFFERENCES = 200  # a replay on a very different network lists this many, then says so


def _canon(x: object) -> object:
    """A JSON-ready canonical form of ``x`` (see ``content_hash``)."""
    if x is None or isinstance(x, bool | int | float | str):
        return x
    if isinstance(x, enum.Enum):
        return _canon(x.value)
    if isinstance(x, date):
        return x.isoformat()
    if isinstance(x, Decimal):
        return str(x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: _canon(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a NamedTuple
        return {k: _canon(v) for k, v in zip(x._fields, x, strict=True)}
    if isinstance(x, list | tuple):
        return [_canon(v) for v in x]
    if isinstance(x, set | frozenset):
        return sorted((_canon(v) for v in x), key=_sort_key)
    if isinstance(x, dict):
        return sorted(
            ([_canon(k), _canon(v)] for k, v in x.items()), key=lambda kv: _sort_key(kv[0])
        )
    raise TypeError(f"content_hash: cannot hash a {type(x).__name__}")


def _sort_key(v: object) -> str:
    return json.dumps(v, sort_keys=True)


def content_hash(*parts: object) -> str:
    """SHA-256 (hex) of the canonical form of ``parts``: equal content, equal hash."""
    text = json.dumps(_canon(list(parts)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Difference(NamedTuple):
    """One field that differs: its path in the decision and both values as text ("" when the
    field is absent on that side, e.g. an alternative only one of them has)."""

    path: str
    stored: str
    replayed: str


def _leaves(x: object, path: str, out: dict[str, str]) -> None:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        for f in dataclasses.fields(x):
            if path == "" and f.name in _NOT_COMPARED:
                continue
            # (derived totals, net_cost_minor, are fields too: compared like the rest)
            _leaves(getattr(x, f.name), f"{path}.{f.name}" if path else f.name, out)
        return
    if isinstance(x, tuple | list):
        if not x:
            out[path] = "[]"
        for i, v in enumerate(x):
            _leaves(v, f"{path}[{i}]", out)
        return
    if isinstance(x, enum.Enum):
        out[path] = str(x.value)
    elif isinstance(x, date):
        out[path] = x.isoformat()
    elif x is None:
        out[path] = "null"
    else:
        out[path] = str(x)


def diff_decisions(stored: Decision, replayed: Decision) -> tuple[tuple[Difference, ...], bool]:
    """The fields in which ``replayed`` differs from ``stored``, in path order (at most
    ``MAX_DIFFERENCES``), and whether the list was cut there."""
    a: dict[str, str] = {}
    b: dict[str, str] = {}
    _leaves(stored, "", a)
    _leaves(replayed, "", b)
    out = [
        Difference(path, a.get(path, ""), b.get(path, ""))
        for path in sorted(a.keys() | b.keys(), key=_path_order)
        if a.get(path) != b.get(path)
    ]
    return tuple(out[:MAX_DIFFERENCES]), len(out) > MAX_DIFFERENCES


def _path_order(path: str) -> tuple[object, ...]:
    """Paths in reading order: ``alternatives[10]`` after ``alternatives[9]``."""
    out: list[object] = []
    for part in path.replace("]", "").split("["):
        for piece in part.split("."):
            out.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return tuple(out)
