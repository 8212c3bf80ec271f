"""What makes the ``reroute`` parser pleasant to use, kept apart from the flags themselves:
``--version``, examples at the end of every command's ``--help``, the command's own usage when
a flag is wrong, one line per error (no traceback), and shell completion
(``reroute completion bash|zsh|tcsh``, generated from the parser by shtab).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata

import shtab

from routing.errors import InvalidInput, RerouteError

# examples shown by `reroute COMMAND --help`, by command path
EXAMPLES: dict[str, list[str]] = {
    "serve": [
        "reroute serve",
        "reroute serve --port 50051 --http-port 8080 --metrics-port 9100",
        "reroute serve --network my_network.toml --database-url postgresql+psycopg://u:p@db/r",
        "reroute serve --tls-cert server.pem --tls-key server.key",
    ],
    "route": [
        "reroute route --country FR --postal-code 75011 --origin origin_us_pa --hs 610910 \\\n"
        "    --value 35.00 --currency EUR --weight-g 300 --import-date 2026-10-20",
        "reroute route --file examples/return.json --json",
        "REROUTE_SERVER=returns.example.com:443 reroute route --tls-ca ca.pem --file r.json",
    ],
    "customs": [
        "reroute customs NO DE --value 120.00 --currency EUR --hs 620193 --date 2026-11-02",
        "reroute customs US CA --value 100 --currency USD --hs 620193 --goods-origin US --json",
    ],
    "plan": [
        "reroute plan returns.csv --out plan/ --time-limit 60",
        "reroute plan returns.parquet --out plan/ --gap-limit 0.01 --allow-overflow --json",
    ],
    "generate-returns": [
        "reroute generate-returns 10000 --seed 1 --out returns.csv",
        "reroute generate-returns 1000000 --seed 7 --out returns.parquet --start 2026-11-01",
    ],
    "db upgrade": ["reroute db upgrade", "reroute db upgrade --database-url sqlite:///r.db"],
    "keys create": ["reroute keys create --tenant acme --label 'returns portal'"],
    "keys list": ["reroute keys list --tenant acme --json"],
    "keys revoke": ["reroute keys revoke rr_0123456789ab"],
    "network check": [
        "reroute network check hubs/data/default_network.toml",
        "reroute network check my_network.toml --json",
    ],
    "whatif": [
        "reroute whatif benchmarks/whatif/eu_hub_vs_us_origin.toml --out whatif/ --workers 2",
        "reroute whatif scenario.toml --out whatif/ --time-limit 30 --json",
    ],
    "completion": [
        "reroute completion bash > ~/.local/share/bash-completion/completions/reroute",
        "reroute completion zsh > ~/.zfunc/_reroute",
    ],
}
_FILE_METAVARS = {"FILE", "PEM", "JSON", "RETURNS", "SCENARIO.toml"}


def version() -> str:
    try:
        return metadata.version("reroute")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown (not installed)"


def _subparsers(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{path} {name}".strip()
                yield full, sub
                yield from _subparsers(sub, full)


def finish(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add --version, the completion command, examples and file completion to ``parser``."""
    parser.add_argument(
        "--version", action="version", version=f"reroute {version()}", help="print the version"
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "examples:\n"
        "  reroute serve --http-port 8080\n"
        "  reroute route --file examples/return.json\n"
        "  reroute generate-returns 10000 --seed 1 --out returns.csv\n"
        "  reroute plan returns.csv --out plan/\n\n"
        "`reroute COMMAND --help` for a command's flags and examples. Exit codes: 0 ok, 1 no\n"
        "server or it failed, 2 bad input (the line names it), 3 no feasible option.\n"
        "Client settings: flag > $REROUTE_* > ~/.config/reroute/config.toml (docs/cli.md)."
    )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            c = action.add_parser("completion", help="print a shell completion script")
            c.add_argument("shell", choices=shtab.SUPPORTED_SHELLS, help="the shell")
            c.set_defaults(func=lambda a: cmd_completion(a, parser))
    for path, sub in _subparsers(parser):
        sub.set_defaults(_parser=sub)  # the deepest command's parser reports its bad flags
        examples = EXAMPLES.get(path)
        if examples:
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
            sub.epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
        for action in sub._actions:
            if action.metavar in _FILE_METAVARS or action.dest in ("file", "network"):
                action.complete = shtab.FILE  # type: ignore[attr-defined]
            elif action.metavar == "DIR":
                action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown flag is reported with the usage of the command it was given
    to (argparse alone reports it with the top-level usage)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        owner: argparse.ArgumentParser = getattr(args, "_parser", parser)
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def cmd_completion(a: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    print(shtab.complete(parser, shell=a.shell))
    return 0


def one_line(exc: BaseException) -> str:
    """The message of an error for a terminal: one line per problem; one problem on one line
    (``field: reason``) even when the error's own text spreads it over two."""
    text = str(exc)
    if "\n" in text and isinstance(exc, InvalidInput) and len(exc.violations) == 1:
        v = exc.violations[0]
        return f"{v.field}: {v.description}"
    return text


def report(exc: BaseException) -> None:
    """Print an error the user can act on, never a traceback (unless REROUTE_DEBUG is set for
    an error that is ours to fix)."""
    if isinstance(exc, RerouteError):
        print(f"error: {one_line(exc)}", file=sys.stderr)
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
    else:
        if os.environ.get("REROUTE_DEBUG"):
            raise exc
        print(
            f"error: internal error ({type(exc).__name__}: {exc}); set REROUTE_DEBUG=1 for the"
            " traceback and please report it",
            file=sys.stderr,
        )
