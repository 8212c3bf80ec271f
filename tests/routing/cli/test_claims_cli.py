"""`reroute claims` against a real server: list, show, update along the lifecycle, export one
CSV per route, totals by route and month; user errors exit 2 (3 for a refused move) with one
line, never a traceback."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing.cli.main import main
from routing.store.database import make_engine
from routing.store.sql import SqlDecisionStore
from routing.store.tenants import create_key, register_network
from tests.routing.rpc.test_server import Server
from tests.routing.store.test_ledger import drawback_and_vat


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    folder = tmp_path_factory.mktemp("claims-cli")
    server = Server(auth=True, data_dir=folder)
    engine = make_engine(f"sqlite:///{folder / 'reroute.db'}")
    key = create_key(engine, "acme")[1]
    store = SqlDecisionStore(engine, register_network(engine, "test", "# test network"))
    store.put("acme", "dec-cli", "fp", drawback_and_vat("dec-cli"), (), {})
    store.close()
    yield ["--server", server.target, "--api-key", key]
    server.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["claims", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_show_update_to_paid(capsys: pytest.CaptureFixture[str], target: list[str]) -> None:
    code, out, _ = run(capsys, "list", *target)
    assert code == 0
    assert "reclaim.EU.invalidation" in out
    assert "reclaim.US.1313j" in out
    code, out, _ = run(capsys, "list", *target, "--country", "US", "--json")
    assert [c["claim_id"] for c in json.loads(out)] == ["dec-cli-c1"]
    code, out, _ = run(capsys, "show", "dec-cli-c1", *target)
    assert "original_import_entry: MISSING" in out
    assert "file by: 2031-10-10" in out
    code, _, err = run(capsys, "update", "dec-cli-c1", *target, "--file")
    assert code == 3
    assert err.strip() == (
        "error: FAILED_PRECONDITION: claim dec-cli-c1 is eligible: cannot file: evidence"
        " missing: original_import_entry, carrier_tracking, commercial_invoice"
    )
    evidence = [
        "--evidence=original_import_entry=ENTRY-1",
        "--evidence=carrier_tracking=1Z999",
        "--evidence=commercial_invoice=INV-1",
    ]
    code, out, _ = run(capsys, "update", "dec-cli-c1", *target, *evidence, "--file")
    assert code == 0
    assert out.startswith("claim dec-cli-c1 (decision dec-cli): filed")
    code, out, _ = run(capsys, "update", "dec-cli-c1", *target, "--paid", "29.00")
    assert code == 0
    assert "29.00 EUR received" in out
    code, out, _ = run(capsys, "totals", *target, "--json")
    totals = {row["rule_id"]: row for row in json.loads(out)}
    assert totals["reclaim.US.1313j"]["received"] == 2900
    assert totals["reclaim.EU.invalidation"]["claimable"] == 2400


def test_export_writes_one_csv_per_route(
    capsys: pytest.CaptureFixture[str], target: list[str], tmp_path: Path
) -> None:
    code, _out, _ = run(capsys, "export", *target, "--dir", str(tmp_path))
    assert code == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["reclaim.EU.invalidation.csv", "reclaim.US.1313j.csv"]
    with (tmp_path / "reclaim.EU.invalidation.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["file_by"] == "2027-01-31"
    assert rows[0]["total"] == "24.00"
    assert (
        rows[0]["evidence_missing"] == "original_import_entry; carrier_tracking; commercial_invoice"
    )


@pytest.mark.parametrize(
    ("argv", "needle", "exit_code"),
    [
        (["show", "nope-c1"], "NOT_FOUND", 2),
        (["update", "dec-cli-c2", "--evidence", "passport=1"], "evidence[passport]", 2),
        (["update", "dec-cli-c2", "--evidence", "nokind"], "--evidence: expected KIND=REF", 2),
        (["update", "dec-cli-c2"], "nothing to do", 2),
        (["list", "--state", "bogus"], "--state: one of", 2),
        (["list", "--deadline-before", "2027-13-01"], "--deadline-before", 2),
    ],
)
def test_user_errors_are_one_line(
    capsys: pytest.CaptureFixture[str],
    target: list[str],
    argv: list[str],
    needle: str,
    exit_code: int,
) -> None:
    code, _, err = run(capsys, *argv, *target)
    assert code == exit_code
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_an_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "list", "--server", "127.0.0.1:1", "--api-key", "x", "--timeout", "2"
    )
    assert code == 1
    assert err.strip().startswith("error: cannot reach a reroute server at 127.0.0.1:1")
    assert len(err.strip().splitlines()) == 1
