"""The `reroute` command without a server: network check, usage errors, an unreachable server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routing.cli.flags import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from routing.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = ROOT / "hubs" / "data" / "default_network.toml"


def test_network_check_summarises_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    """`reroute network check` on the embedded file exits 0 and prints a summary."""
    assert main(["network", "check", str(DEFAULT)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "origin" in out
    assert "hub" in out


def test_network_check_names_the_bad_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A network with a lane to an unknown facility exits 2 and names the key."""
    text = DEFAULT.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        text.replace('to_facility = "origin_de_hh"', 'to_facility = "origin_nowhere"', 1),
        encoding="utf-8",
    )
    assert main(["network", "check", str(bad)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "to_facility" in err
    assert "origin_nowhere" in err
    assert "Traceback" not in err


def test_network_check_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A file that does not exist is a clear error, exit 2."""
    assert main(["network", "check", "/nonexistent/network.toml"]) == EXIT_USAGE
    assert "network.toml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--value", "abc"], "--value"),
        (["--value", "nan"], "--value"),
        (["--value", "inf"], "--value"),
        (["--dims-mm", "10x20"], "--dims-mm"),
        (["--grade", "Z"], "--grade"),
        (["--reason", "bored"], "--reason"),
        (["--import-date", "2026-02-30"], "--import-date"),
        (["--currency", "EURO"], "currency"),
        (["--hs", "12"], "hs_code"),
        (["--weight-g", "0"], "weight_g"),
    ],
)
def test_route_flag_errors_exit_2_naming_the_flag(
    flags: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad flags are refused before any call, exit 2, naming the flag or field."""
    base = {
        "--country": "FR",
        "--origin": "origin_us_pa",
        "--hs": "610910",
        "--value": "35.00",
        "--currency": "EUR",
        "--weight-g": "300",
    }
    for flag, value in zip(flags[::2], flags[1::2], strict=True):
        base[flag] = value
    argv = ["route", "--server", "127.0.0.1:9"]
    for k, v in base.items():
        argv += [k, v]
    assert main(argv) == EXIT_USAGE
    assert needle in capsys.readouterr().err


def test_route_file_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON file that is not JSON, or names an unknown field, exits 2 naming the file."""
    broken = tmp_path / "r.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["route", "--file", str(broken)]) == EXIT_USAGE
    assert "r.json" in capsys.readouterr().err
    broken.write_text(json.dumps({"customer_return": {"colour": "red"}}), encoding="utf-8")
    assert main(["route", "--file", str(broken)]) == EXIT_USAGE
    assert "colour" in capsys.readouterr().err


def test_unreachable_server_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """No server listening: exit 1 with a hint, no traceback."""
    argv = ["route", "--server", "127.0.0.1:9", "--timeout", "2", "--file"]
    argv.append(str(ROOT / "examples" / "return.json"))
    assert main(argv) == EXIT_FAIL
    err = capsys.readouterr().err
    assert "reroute serve" in err
    assert "Traceback" not in err
