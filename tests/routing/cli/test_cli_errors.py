"""The `reroute` command as a newcomer meets it: every user error exits 2 (3 for a valid input
with no answer) with one line on stderr and never a traceback; a bad flag shows the usage of
the command it was given to; TLS on one side only is named as such; the client's server, key
and TLS files come from flag > environment > config file > default; --version, --json on
every command that prints a result, examples in every command's help, shell completion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hubs import default_network
from routing.cli.config import resolve
from routing.cli.flags import EXIT_INFEASIBLE, EXIT_OK, EXIT_USAGE
from routing.cli.main import build_parser, main
from routing.cli.usage import EXAMPLES
from routing.rpc.app import RoutingApp
from routing.rpc.server import ServerConfig
from tests.routing.rpc.test_edge import InProcess, _cert, _pem

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = str(ROOT / "examples" / "return.json")
NETWORK = str(ROOT / "hubs" / "data" / "default_network.toml")
SCENARIO = str(ROOT / "benchmarks" / "whatif" / "eu_hub_vs_us_origin.toml")


@pytest.fixture(autouse=True)
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config file, no client variables of the machine running the tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for name in ("REROUTE_CONFIG", "REROUTE_SERVER", "REROUTE_API_KEY", "REROUTE_TLS_CA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("REROUTE_TLS_CERT", raising=False)
    monkeypatch.delenv("REROUTE_TLS_KEY", raising=False)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("batch") / "r.csv"
    assert main(["generate-returns", "20", "--seed", "1", "--out", str(path)]) == EXIT_OK
    return str(path)


def _cases(tmp: Path, batch: str) -> list[tuple[list[str], str]]:
    """(argv, a word the one error line must contain)."""
    a_file = tmp / "a_file"
    a_file.write_text("x")
    not_pem = tmp / "not.pem"
    not_pem.write_text("hello")
    out = str(tmp / "out")
    return [
        (["plan", str(tmp / "missing.csv"), "--out", out], "missing.csv"),
        (["plan", str(tmp), "--out", out], "csv"),
        (["plan", batch, "--out", str(a_file)], "not a folder"),
        (["plan", batch, "--out", out, "--time-limit", "-1"], "--time-limit"),
        (["plan", batch, "--out", out, "--horizon-days", "0"], "--horizon-days"),
        (["plan", batch, "--out", out, "--gap-limit", "2"], "--gap-limit"),
        (["plan", batch, "--out", out, "--overflow-price", "abc"], "--overflow-price"),
        (["plan", batch, "--out", out, "--backend", "gurobi"], "--backend"),
        (["plan", batch, "--out", out, "--network", str(tmp / "n.toml")], "n.toml"),
        (["plan", batch, "--out", out, "--workers", "0"], "--workers"),
        (["network", "check", str(tmp / "n.toml")], "n.toml"),
        (["network", "check", str(tmp)], "cannot read"),
        (["network", "check", str(ROOT / "README.md")], "TOML"),
        (["whatif", str(tmp / "s.toml"), "--out", out], "s.toml"),
        (["whatif", SCENARIO, "--out", str(a_file)], "not a folder"),
        (["whatif", SCENARIO, "--out", out, "--time-limit", "0"], "--time-limit"),
        (["generate-returns", "5", "--seed", "1", "--out", str(tmp / "no" / "r.csv")], "folder"),
        (["generate-returns", "0", "--seed", "1", "--out", str(tmp / "r.csv")], "N"),
        (["generate-returns", "5", "--seed", "1", "--out", str(tmp / "r.txt")], ".csv"),
        (["generate-returns", "5", "--seed", "1", "--out", str(tmp)], "folder"),
        (["route", "--file", str(tmp / "r.json")], "r.json"),
        (["route", "--file", str(tmp)], "cannot read"),
        (["route", "--file", str(a_file)], "a_file"),
        (["route", "--server", "no:such:address", "--file", EXAMPLE], "--server"),
        (["route", "--server", "localhost:99999", "--file", EXAMPLE], "port"),
        (["route", "--timeout", "0", "--file", EXAMPLE], "--timeout"),
        (["route", "--tls-ca", str(not_pem), "--file", EXAMPLE], "not a PEM"),
        (["route", "--tls-ca", str(tmp / "ca.pem"), "--file", EXAMPLE], "ca.pem"),
        (["route", "--tls-cert", str(not_pem), "--file", EXAMPLE], "--tls-ca"),
        (["route", "--country", "FR"], "--origin"),
        (["customs", "NO", "DE", "--value", "x", "--currency", "EUR", "--hs", "620193"], "--value"),
        (["keys", "list", "--database-url", "bogus://x"], "database"),
        (["serve", "--http-port", "70000"], "--http-port"),
        (["serve", "--port", "99999"], "--port"),
        (["serve", "--burst", "0"], "--burst"),
    ]


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {err!r}"
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def test_every_user_error_is_one_line_exit_2(
    tmp_path: Path, batch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad input a newcomer may type exits 2 with one line naming what is wrong."""
    capsys.readouterr()
    for argv, needle in _cases(tmp_path, batch):
        code = main(argv)
        captured = capsys.readouterr()
        assert code == EXIT_USAGE, (argv, captured.err)
        line = _one_error_line(captured.err)
        assert needle in line, (argv, line)
        assert captured.out == "", argv


def test_a_bad_flag_shows_the_commands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown flag is reported by the command it was given to, with that command's usage
    (argparse alone would print the top-level usage)."""
    for argv, prog in (
        (["plan", "r.csv", "--out", "d", "--bogus"], "reroute plan"),
        (["network", "check", "f.toml", "--bogus"], "reroute network check"),
        (["route", "--valeu", "3"], "reroute route"),
    ):
        assert main(argv) == EXIT_USAGE
        err = capsys.readouterr().err
        assert err.startswith(f"usage: {prog} ")
        assert err.strip().splitlines()[
            -1
        ] == f"{prog}: error: unrecognized arguments: " + " ".join(
            argv[-1:] if argv[0] != "route" else argv[1:]
        )
        assert "Traceback" not in err


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    """The console script itself (a fresh process: gRPC's C core included) prints one line."""
    done = subprocess.run(
        [
            *(sys.executable, "-W", "ignore", "-m", "routing.cli.main", "route"),
            *("--tls-ca", str(tmp_path / "ca.pem"), "--file", EXAMPLE),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)},
        timeout=60,
    )
    assert done.returncode == EXIT_USAGE
    _one_error_line(done.stderr)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A TLS server and a plaintext one (no keys), and the CA that signed the TLS one."""
    tmp = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("reroute test CA", ca_key, None, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("localhost", key, (ca.subject, ca_key), ca=False)
    for name, obj in (("ca", ca), ("cert", cert), ("key", key)):
        (tmp / f"{name}.pem").write_bytes(_pem(obj))
    app = RoutingApp(default_network())
    tls = InProcess(
        ServerConfig(
            host="127.0.0.1", port=0, auth=False, tls_cert=tmp / "cert.pem", tls_key=tmp / "key.pem"
        ),
        app,
    )
    plain = InProcess(ServerConfig(host="127.0.0.1", port=0, auth=False), app)
    yield {"tls": tls.target, "plain": plain.target, "ca": str(tmp / "ca.pem")}
    tls.close()
    plain.close()


def test_tls_and_plaintext_mismatch_is_named(
    servers: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A plaintext client of a TLS server, and a TLS client of a plaintext one, exit 2 with a
    line that says which side speaks what; with the right CA the call succeeds."""
    run: Callable[..., int] = lambda *flags: main(["route", "--file", EXAMPLE, *flags])  # noqa: E731
    assert run("--server", servers["tls"]) == EXIT_USAGE
    assert "speaks TLS but this client used plaintext" in _one_error_line(capsys.readouterr().err)
    assert run("--server", servers["plain"], "--tls-ca", servers["ca"]) == EXIT_USAGE
    assert "speaks plaintext but this client used TLS" in _one_error_line(capsys.readouterr().err)
    target = servers["tls"].replace("127.0.0.1", "localhost")
    assert run("--server", target, "--tls-ca", servers["ca"], "--json") == EXIT_OK
    assert json.loads(capsys.readouterr().out)["chosen"]["label"]


def test_no_feasible_option_is_exit_3_in_one_line(
    servers: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid return no option can serve (refund within 0 days) exits 3, one line that names
    the reason."""
    argv = ["route", "--server", servers["plain"], "--country", "FR", "--origin", "origin_us_pa"]
    argv += ["--hs", "610910", "--value", "35", "--currency", "EUR", "--weight-g", "300"]
    assert main([*argv, "--no-returnless", "--max-days-to-refund", "0"]) == EXIT_INFEASIBLE
    assert "SLA_EXCEEDED" in _one_error_line(capsys.readouterr().err)


def test_client_settings_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """flag > environment > config file > default, for the server and the key; the config
    file's relative paths are read from its folder; an unknown key in it is named."""
    cfg = tmp_path / "xdg" / "reroute" / "config.toml"
    cfg.parent.mkdir(parents=True)
    (cfg.parent / "key").write_text("from-key-file\n")
    cfg.write_text('[client]\nserver = "file.example:1"\napi_key_file = "key"\ntls_ca = "ca.pem"\n')
    none = {"server": None, "api_key": None, "tls_ca": None, "tls_cert": None, "tls_key": None}
    s = resolve(**none)
    assert (s.server, s.api_key, s.tls_ca) == (
        "file.example:1",
        "from-key-file",
        str(cfg.parent / "ca.pem"),
    )
    monkeypatch.setenv("REROUTE_SERVER", "env.example:2")
    monkeypatch.setenv("REROUTE_API_KEY", "from-env")
    s = resolve(**none)
    assert (s.server, s.api_key) == ("env.example:2", "from-env")
    s = resolve(**{**none, "server": "flag.example:3", "api_key": "from-flag"})
    assert (s.server, s.api_key, s.sources["server"]) == ("flag.example:3", "from-flag", "--server")
    cfg.unlink()
    monkeypatch.delenv("REROUTE_SERVER")
    assert resolve(**none).server == "localhost:50051"
    cfg.write_text('[client]\nservr = "x:1"\n')
    assert main(["route", "--file", EXAMPLE]) == EXIT_USAGE
    monkeypatch.setenv("REROUTE_CONFIG", str(tmp_path / "nope.toml"))
    assert main(["route", "--file", EXAMPLE]) == EXIT_USAGE


def test_config_file_typo_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A key the config file does not know is one line naming it (and the closest known)."""
    cfg = tmp_path / "xdg" / "reroute" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[client]\nservr = "x:1"\n')
    assert main(["route", "--file", EXAMPLE]) == EXIT_USAGE
    line = _one_error_line(capsys.readouterr().err)
    assert "client.servr" in line
    assert "server" in line


def test_version_json_examples_completion(
    tmp_path: Path, batch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--version prints the version; --json prints JSON on network check, generate-returns and
    plan; every command's --help ends with examples; completion prints a bash script."""
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("reroute ")
    assert main(["network", "check", NETWORK, "--json"]) == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True
    assert "origin_us_pa" in summary["facilities"]["origin"]
    out = tmp_path / "g.csv"
    assert main(["generate-returns", "3", "--seed", "2", "--out", str(out), "--json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["returns"] == 3
    plan = ["plan", batch, "--out", str(tmp_path / "p"), "--time-limit", "20", "--json"]
    assert main([*plan, "--workers", "1"]) == EXIT_OK
    got = json.loads(capsys.readouterr().out)
    assert got["status"] in ("optimal", "feasible")
    assert any(f.endswith("assignments.csv") for f in got["files"])
    for command in EXAMPLES:
        with pytest.raises(SystemExit):
            build_parser().parse_args([*command.split(), "--help"])
        assert "examples:\n  reroute " in capsys.readouterr().out, command
    assert main(["completion", "bash"]) == EXIT_OK
    script = capsys.readouterr().out
    assert "complete" in script
    assert "generate-returns" in script
