"""Replay (issue 12 item 7): a stored decision keeps its request and the versions it was made
with; ExplainDecision (and ``reroute explain``) routes it again and answers what changed.

The acceptance runs as a returns manager would: a real ``reroute serve`` routes the README's
example and explains it (identical), then a second server on the same database with one rate
card 10 % dearer explains the same decision (a diff naming the changed rate and the network
version). The error paths run in process through RoutingApp and the status mapping."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import grpc
import pytest

from hubs import default_network
from reroute.v1 import routing_pb2, routing_pb2_grpc
from routing.batches.examples import sample_return
from routing.errors import NoFeasibleOption, NotPermitted, UnknownResource
from routing.rpc.app import RoutingApp
from routing.rpc.status import to_status
from routing.store.decisions import fingerprint, holds_of

ROOT = Path(__file__).resolve().parents[3]
DAY = date(2026, 11, 2)
COLISSIMO = "  [495, 670, 760, 825, 955, 1465, 2130, 2695, 3340],"
COLISSIMO_UP_10 = "  [545, 737, 836, 908, 1051, 1612, 2343, 2965, 3674],"


SERVE = (
    *(sys.executable, "-m", "routing.cli.main", "serve", "--port", "0", "--host", "127.0.0.1"),
    *("--auth", "none", "--rate-limit", "0"),
)


class Serve:
    """``reroute serve`` (no API keys) on the SQLite database of ``data``, on any free port."""

    def __init__(self, data: Path, *extra: str) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "REROUTE_DATA_DIR": str(data)}
        self.env.pop("REROUTE_DATABASE_URL", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "routing.cli.main",
                "serve",
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--auth",
                "none",
                "--rate-limit",
                "0",
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=self.env,
        )
        assert self.proc.stdout is not None
        self.target = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.target:
            line = self.proc.stdout.readline()
            if "listening on" in line:
                self.target = line.rsplit(" ", 1)[-1].strip()
            elif self.proc.poll() is not None:
                break
        if not self.target:
            self.stop()
            raise RuntimeError("server did not start")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "routing.cli.main", *args, "--server", self.target],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            check=False,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


README_ROUTE = [
    "route",
    "--country",
    "FR",
    "--postal-code",
    "75011",
    "--origin",
    "origin_us_pa",
    "--hs",
    "610910",
    "--value",
    "35.00",
    "--currency",
    "EUR",
    "--weight-g",
    "300",
    "--dims-mm",
    "300x250x40",
    "--import-date",
    "2026-10-20",
    "--vat-paid",
    "7.00",
    "--grade",
    "A",
    "--reason",
    "wrong_size",
    "--return-date",
    "2026-11-02",
    "--json",
]


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def test_explain_answers_identical_then_a_diff_after_a_rate_change(data_dir: Path) -> None:
    """The README example, routed and explained on the same network: no difference. On a
    server started with the Colissimo rate card 10 % dearer, the same decision explains with
    the Colissimo option's carriage, its net cost and the network version changed, and nothing
    about the stored decision itself (chosen, customs, versions of the rules)."""
    first = Serve(data_dir)
    try:
        routed = first.cli(*README_ROUTE)
        assert routed.returncode == 0, routed.stderr
        decision_id = json.loads(routed.stdout)["decision_id"]
        with grpc.insecure_channel(first.target) as ch:
            stub = routing_pb2_grpc.ReturnsRoutingStub(ch)
            same = stub.ExplainDecision(
                routing_pb2.ExplainDecisionRequest(decision_id=decision_id), timeout=60
            )
        assert same.identical
        assert not same.differences
        assert same.stored.network_version == same.replayed.network_version != ""
        assert same.request.customer.country == "FR"
        shown = first.cli("explain", decision_id)
        assert shown.returncode == 0, shown.stderr
        assert "IDENTICAL" in shown.stdout
    finally:
        first.stop()

    text = (ROOT / "hubs/data/default_network.toml").read_text(encoding="utf-8")
    assert text.count(COLISSIMO) == 1
    dearer = data_dir / "network_colissimo_up_10.toml"
    dearer.write_text(text.replace(COLISSIMO, COLISSIMO_UP_10), encoding="utf-8")
    second = Serve(data_dir, "--network", str(dearer))
    try:
        shown = second.cli("explain", decision_id, "--json")
        assert shown.returncode == 0, shown.stderr
        got = json.loads(shown.stdout)
        assert got["identical"] is False
        changed = {d["path"]: (d["stored"], d["replayed"]) for d in got["differences"]}
        assert "network_version" in changed
        assert "rules_version" not in changed
        carriage = [
            (old, new)
            for path, (old, new) in changed.items()
            if path.endswith("legs[0].charge_minor")
        ]
        assert carriage == [("670", "737")]  # Colissimo 251-500 g: EUR 6.70 -> 7.37
        table = second.cli("explain", decision_id)
        assert "DIFFERENCES" in table.stdout
        assert "network_version" in table.stdout
    finally:
        second.stop()


def _app_with_one(request_kept: bool) -> tuple[RoutingApp, str]:
    app = RoutingApp(default_network(), compiled_on=DAY)
    ret = sample_return(DAY)
    decision = app.router.route(ret)
    if not request_kept:  # as a decision stored before requests were kept
        decision = dataclasses.replace(decision, request=None)
    app.store.put("acme", "", fingerprint(ret), decision, holds_of(decision), app.capacity)
    return app, decision.decision_id


def test_explain_is_per_tenant_and_names_unknown_ids() -> None:
    """Like GetDecision: another tenant's decision is NotPermitted, an unknown id
    UnknownResource; the owner's replay is identical."""
    app, decision_id = _app_with_one(request_kept=True)
    assert app.explain_decision(decision_id, tenant="acme").identical
    with pytest.raises(NotPermitted):
        app.explain_decision(decision_id, tenant="globex")
    with pytest.raises(UnknownResource):
        app.explain_decision("0" * 32, tenant="acme")


def test_a_decision_without_its_request_is_not_replayable() -> None:
    """A decision stored before requests were kept answers FAILED_PRECONDITION with a
    NOT_REPLAYABLE violation that says why and what to do."""
    app, decision_id = _app_with_one(request_kept=False)
    with pytest.raises(NoFeasibleOption) as raised:
        app.explain_decision(decision_id, tenant="acme")
    (violation,) = raised.value.violations
    assert violation.type == "NOT_REPLAYABLE"
    assert violation.subject == f"decision:{decision_id}"
    assert "route the return again" in violation.description
    assert to_status(raised.value).code == grpc.StatusCode.FAILED_PRECONDITION.value[0]


def test_a_full_facility_stays_full_on_replay() -> None:
    """A decision made while a facility was full is replayed with it full again (its
    CAPACITY_FULL exclusions), so the replay answers the same decision."""
    app = RoutingApp(default_network(), compiled_on=DAY)
    ret = sample_return(DAY)
    first = app.router.route(ret)
    taken = first.chosen.shipments[0].legs[0].to_facility
    decision = app.router.route(ret, full_facilities=frozenset({taken}))
    assert any(x.reason == "CAPACITY_FULL" for x in decision.excluded)
    app.store.put("acme", "", fingerprint(ret), decision, holds_of(decision), app.capacity)
    replay = app.explain_decision(decision.decision_id, tenant="acme")
    assert replay.identical, replay.differences
