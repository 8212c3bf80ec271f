"""Load and validate a network file (TOML; the format is described in ``hubs/FORMAT.md``).

The entry points: a file (``load_network``), its text (``read_network_text``,
``loads_network``), an already-parsed document (``network_from_mapping``) or the embedded
``default_network()``.

Validation never stops at the first problem: every error is collected with the key path it
concerns (``facilities.hub_nl_venlo.country``) and raised together as one ``NetworkErrors``
(itself a ``NetworkError``). A TOML syntax error, an unreadable file or a file that is not UTF-8
becomes a ``NetworkErrors`` too, naming the file and, for syntax errors, the line.

Where the rest lives: :mod:`hubs.reading` (the typed reader and the errors),
``hubs.parse_sites`` / ``parse_carriers`` / ``parse_policy`` (one per part of the document),
:mod:`hubs.cross_checks`, :mod:`hubs.assemble` (the order of it all) and :mod:`hubs.summary`
(what ``reroute network check`` prints).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Final

from hubs.assemble import build_network
from hubs.model import Network, NetworkError
from hubs.reading import NetworkErrors

__all__ = [
    "default_network",
    "load_network",
    "loads_network",
    "network_from_mapping",
    "read_network_text",
]

_TOML_POS_RE: Final = re.compile(r"\(at line (\d+), column (\d+)\)$")


def load_network(path: str | Path) -> Network:
    """Read, parse and validate a network file. Raises ``NetworkErrors``."""
    return loads_network(read_network_text(path), origin=str(path))


def read_network_text(path: str | Path) -> str:
    """A network file's text (to parse it and keep it as read). Raises ``NetworkErrors``."""
    origin = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        error = NetworkError(origin, f"cannot read the file: {reason}")
        raise NetworkErrors(origin, [error]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"{origin}: byte {exc.start}"
        raise NetworkErrors(origin, [NetworkError(where, "the file is not valid UTF-8")]) from None


def loads_network(text: str, *, origin: str = "<string>") -> Network:
    """Parse and validate a network given as TOML text. Raises ``NetworkErrors``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NetworkErrors(origin, [_syntax_error(origin, exc)]) from None
    return network_from_mapping(data, origin=origin)


@functools.cache
def default_network() -> Network:
    """The embedded default network (``hubs/data/default_network.toml``), loaded once."""
    ref = resources.files("hubs").joinpath("data", "default_network.toml")
    return loads_network(ref.read_text(encoding="utf-8"), origin="hubs/data/default_network.toml")


def network_from_mapping(data: Mapping[str, object], *, origin: str = "<mapping>") -> Network:
    """Validate an already-parsed network document (the dict ``tomllib`` returns)."""
    return build_network(data, origin)


def _syntax_error(origin: str, exc: tomllib.TOMLDecodeError) -> NetworkError:
    message = str(exc)
    match = _TOML_POS_RE.search(message)
    where = origin
    if match is not None:
        where = f"{origin}:{match.group(1)}:{match.group(2)}"
        message = message[: match.start()].rstrip()
        message = f"{message} (line {match.group(1)}, column {match.group(2)})"
    if message.startswith(("Cannot declare", "Cannot overwrite")):
        message = f"{message}: a table or key is defined twice (ids must be unique)"
    return NetworkError(where, f"TOML syntax error: {message}")
