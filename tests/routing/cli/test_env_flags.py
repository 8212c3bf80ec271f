"""Every ``reroute serve`` flag has an environment variable, derived from the flag definitions:
flag > variable > default, and a bad variable is a one-line error naming it (exit 2)."""

from __future__ import annotations

import argparse

import pytest

from routing.cli.env_flags import env_name, subcommand_parser
from routing.cli.main import build_parser, main, parse_args


def _serve_options() -> list[argparse.Action]:
    serve = subcommand_parser(build_parser(), "serve")
    return [a for a in serve._actions if env_name(a) is not None]


def _sample(action: argparse.Action) -> tuple[str, object]:
    """A valid value of the option other than its default, as text and as parsed."""
    if action.nargs == 0:
        return "true", action.const
    if action.choices is not None:
        other = next(c for c in action.choices if c != action.default)
        return str(other), other
    if action.type is int:
        return "7", 7
    if action.type is float:
        return "2.5", 2.5
    return "/tmp/x", "/tmp/x"


@pytest.mark.parametrize("action", _serve_options(), ids=lambda a: a.dest)
def test_every_serve_flag_reads_its_variable(action: argparse.Action) -> None:
    """Any option of `serve` (those added later too) takes its value from REROUTE_<FLAG>
    when the flag is not given, and shows the variable in --help."""
    name = env_name(action)
    assert name is not None
    assert name.startswith("REROUTE_")
    text, value = _sample(action)
    args = parse_args(["serve"], {name: text})
    assert getattr(args, action.dest) == value
    assert args.from_env == {action.dest: name}
    if action.help != argparse.SUPPRESS:
        assert f"[env {name}]" in (action.help or "")


def test_flag_beats_variable_beats_default() -> None:
    """Precedence: --port on the command line, else REROUTE_PORT, else 50051."""
    assert parse_args(["serve"], {}).port == 50051
    assert parse_args(["serve"], {"REROUTE_PORT": "6000"}).port == 6000
    assert parse_args(["serve", "--port", "7000"], {"REROUTE_PORT": "6000"}).port == 7000
    assert parse_args(["serve", "--port=7001"], {"REROUTE_PORT": "bad"}).port == 7001


def test_variables_are_not_read_by_other_commands() -> None:
    """A REROUTE_ variable of a serve flag does not leak into another command."""
    args = parse_args(["route", "--country", "DE"], {"REROUTE_PORT": "nonsense"})
    assert not hasattr(args, "from_env")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REROUTE_PORT": "fifty"}, "REROUTE_PORT: not an integer: 'fifty'"),
        ({"REROUTE_RATE_LIMIT": "x"}, "REROUTE_RATE_LIMIT: not a number: 'x'"),
        ({"REROUTE_AUTH": "maybe"}, "REROUTE_AUTH: 'maybe' is not one of key, none"),
        ({"REROUTE_BENCH_ECHO": "perhaps"}, "REROUTE_BENCH_ECHO: not a switch value"),
        ({"REROUTE_WORKERS": "0"}, "REROUTE_WORKERS: must be 1..64, got 0"),
        ({"REROUTE_BURST": "0"}, "REROUTE_BURST: must be >= 1, got 0"),
        ({"REROUTE_PORT": "70000"}, "REROUTE_PORT: must be 0..65535, got 70000"),
    ],
)
def test_bad_variable_is_one_line_naming_it(
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A value the flag would refuse is refused from its variable: exit 2, one line, the
    variable named, no traceback, nothing started."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"error: {message}"] or (
        len(err.strip().splitlines()) == 1 and message in err
    )


def test_bad_flag_still_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """The same check from the command line names the flag, not the variable."""
    assert main(["serve", "--workers", "0"]) == 2
    assert "error: --workers: must be 1..64, got 0" in capsys.readouterr().err
