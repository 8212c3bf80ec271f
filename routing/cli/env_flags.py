"""Environment variables for a command's flags, derived from the flag definitions.

Every option of a command that opts in (``reroute serve``) can be set by the variable
``REROUTE_`` + the option's long name in capitals with dashes as underscores: ``--metrics-port``
is ``REROUTE_METRICS_PORT``, ``--bench-echo`` (a switch) ``REROUTE_BENCH_ECHO=true``. A flag
added to the command later gets its variable without further code. Precedence: the flag on the
command line, else the variable, else the flag's default. A value the flag would refuse is
refused from the variable too, in one line naming the variable (exit 2).

The variables are read by turning them into the parser's defaults before it parses, so
argparse's own rule (a given flag beats a default) is the precedence rule.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Mapping

from routing.cli.flags import UsageError

PREFIX = "REROUTE_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def env_name(action: argparse.Action, prefix: str = PREFIX) -> str | None:
    """The variable of an option (its longest ``--name``); None for positionals and --help."""
    longs = [o for o in action.option_strings if o.startswith("--")]
    if not longs or isinstance(action, argparse._HelpAction):
        return None
    return prefix + max(longs, key=len)[2:].upper().replace("-", "_")


def _options(parser: argparse.ArgumentParser) -> list[tuple[argparse.Action, str]]:
    out = []
    for action in parser._actions:
        name = env_name(action)
        if name is not None:
            out.append((action, name))
    return out


def document_env(parser: argparse.ArgumentParser) -> None:
    """Add each option's variable to its ``--help`` text (hidden options stay hidden)."""
    for action, name in _options(parser):
        if action.help == argparse.SUPPRESS:
            continue
        action.help = f"{action.help} [env {name}]" if action.help else f"[env {name}]"


def _convert(action: argparse.Action, name: str, text: str) -> object:
    if action.nargs == 0:  # a switch: store_true / store_false / store_const
        word = text.strip().lower()
        if word in _TRUE:
            return action.const
        if word in _FALSE:
            return action.default
        raise UsageError(f"{name}: not a switch value (true/false, 1/0, yes/no, on/off): {text!r}")
    convert = action.type if callable(action.type) else None
    if convert is None:
        value: object = text
    else:
        try:
            value = convert(text)
        except (TypeError, ValueError, argparse.ArgumentTypeError) as exc:
            kind = getattr(convert, "__name__", "value")
            kind = {"int": "an integer", "float": "a number"}.get(kind, f"a valid {kind}")
            raise UsageError(f"{name}: not {kind}: {text!r}") from exc
    if action.choices is not None and value not in action.choices:
        allowed = ", ".join(map(str, action.choices))
        raise UsageError(f"{name}: {text!r} is not one of {allowed}")
    return value


def env_defaults(
    parser: argparse.ArgumentParser,
    environ: Mapping[str, str],
    given: Collection[str] = (),
) -> dict[str, str]:
    """Make each option's variable, when set, its default: returns {dest: variable} of those
    used. Options in ``given`` (on the command line) are left alone: the flag wins, and a bad
    variable it overrides is no error. UsageError (naming the variable) for a value the flag
    would refuse."""
    used: dict[str, str] = {}
    for action, name in _options(parser):
        text = environ.get(name)
        if text is None or any(o in given for o in action.option_strings):
            continue
        action.default = _convert(action, name, text)
        used[action.dest] = name
    return used


def subcommand_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The sub-parser of ``command`` (a name of ``parser``'s sub-commands)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(command)
            if isinstance(found, argparse.ArgumentParser):
                return found
    raise KeyError(command)


def named(a: argparse.Namespace, dest: str, flag: str) -> str:
    """How to name the option ``dest`` in an error: its variable when the value came from
    there (``env_defaults``), else ``flag``."""
    used: Mapping[str, str] = getattr(a, "from_env", None) or {}
    return used.get(dest, flag)
