"""The plan job queue on a real port (`reroute serve --port 0` in its own process): SubmitPlan's
idempotency key, the per-tenant queue limits (RESOURCE_EXHAUSTED with RetryInfo and
QuotaFailure), ListPlans per tenant, and two servers sharing one database (SQLite file, and
PostgreSQL when REROUTE_TEST_DATABASE_URL names one): each job is run by one of them, either
watches and cancels what the other runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import select, text

from reroute.v1 import planning_pb2, planning_pb2_grpc
from routing.store.database import make_engine
from routing.store.tables import PlanJobRow
from routing.store.tenants import create_key
from tests.routing.rpc.test_planning import FINAL, batch, submit_request
from tests.routing.rpc.test_server import ROOT, Server

PG_ENV = "REROUTE_TEST_DATABASE_URL"
FAST = ("--plan-poll-s", "0.2", "--plan-lease-s", "3")


def details(err: grpc.RpcError) -> list[object]:
    """The google.rpc.Status details of an error, unpacked."""
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None, "no google.rpc.Status in the trailers"
    out: list[object] = []
    for any_ in status.details:
        for kind in (
            error_details_pb2.RetryInfo,
            error_details_pb2.QuotaFailure,
            error_details_pb2.ErrorInfo,
        ):
            if any_.Is(kind.DESCRIPTOR):
                msg = kind()
                any_.Unpack(msg)
                out.append(msg)
    return out


def long_request(n: int = 3000, seed: int = 5) -> planning_pb2.SubmitPlanRequest:
    """A plan that runs far longer than a test (an hour's CP-SAT time limit on a big batch)."""
    return submit_request(
        batch(n, seed=seed), time_limit_s=3600, backend=planning_pb2.PLAN_BACKEND_CPSAT
    )


def wait_state(
    stub: planning_pb2_grpc.BatchPlanningStub,
    job_id: str,
    states: Collection[int],
    within_s: float,
) -> planning_pb2.PlanJob:
    """Watch the job until it is in one of ``states`` (WatchPlan, not sleeps)."""
    for p in stub.WatchPlan(planning_pb2.WatchPlanRequest(job_id=job_id), timeout=within_s):
        if p.state in states:
            break
    job: planning_pb2.PlanJob = stub.GetPlan(
        planning_pb2.GetPlanRequest(job_id=job_id), timeout=10
    ).job
    return job


@pytest.fixture(scope="module")
def limited() -> Iterator[Server]:
    s = Server(args=("--plan-max-queued-jobs", "2", "--plan-max-queued-returns", "3020", *FAST))
    yield s
    s.close()


def test_an_idempotency_key_answers_the_job_it_created(limited: Server) -> None:
    """SubmitPlan sent again with the same key and request answers the same job (not a second
    one); the key with another request is ALREADY_EXISTS naming the key, with ErrorInfo
    IDEMPOTENCY_KEY_REUSED; a key over 1024 bytes is INVALID_ARGUMENT naming the field."""
    with grpc.insecure_channel(limited.target) as ch:
        stub = planning_pb2_grpc.BatchPlanningStub(ch)
        req = submit_request(batch(4, seed=31), time_limit_s=20)
        req.idempotency_key = "nightly-2026-12-06"
        first = stub.SubmitPlan(req, timeout=30)
        done = wait_state(stub, first.job_id, FINAL, 120)
        again = stub.SubmitPlan(req, timeout=30)
        assert again.job_id == first.job_id
        assert again.state == done.state == planning_pb2.PLAN_STATE_SUCCEEDED
        listed = stub.ListPlans(planning_pb2.ListPlansRequest(page_size=500), timeout=10)
        assert [j.job_id for j in listed.jobs].count(first.job_id) == 1
        other = submit_request(batch(5, seed=31), time_limit_s=20)
        other.idempotency_key = req.idempotency_key
        with pytest.raises(grpc.RpcError) as info:
            stub.SubmitPlan(other, timeout=30)
        assert info.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert "nightly-2026-12-06" in (info.value.details() or "")
        reasons = [
            d.reason for d in details(info.value) if isinstance(d, error_details_pb2.ErrorInfo)
        ]
        assert reasons == ["IDEMPOTENCY_KEY_REUSED"]
        other.idempotency_key = "k" * 1025
        with pytest.raises(grpc.RpcError) as info:
            stub.SubmitPlan(other, timeout=30)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_queue_limits_answer_resource_exhausted_with_retry_info(limited: Server) -> None:
    """With --plan-max-queued-jobs 2 --plan-max-queued-returns 3020: beside a running job of
    3000 returns two small jobs queue, a third is RESOURCE_EXHAUSTED with RetryInfo and a
    QuotaFailure naming the tenant (nothing queued); a known key is answered even then; a
    queue place freed by a cancel takes a job that fits, not one over the returns limit."""
    with grpc.insecure_channel(limited.target) as ch:
        stub = planning_pb2_grpc.BatchPlanningStub(ch)
        running = stub.SubmitPlan(long_request(), timeout=60)
        wait_state(stub, running.job_id, {planning_pb2.PLAN_STATE_RUNNING}, 300)
        keyed = submit_request(batch(5, seed=41))
        keyed.idempotency_key = "small-1"
        small = [stub.SubmitPlan(keyed, timeout=30)]
        small.append(stub.SubmitPlan(submit_request(batch(5, seed=42)), timeout=30))
        assert [j.state for j in small] == [planning_pb2.PLAN_STATE_QUEUED] * 2
        before = stub.ListPlans(planning_pb2.ListPlansRequest(), timeout=10)
        with pytest.raises(grpc.RpcError) as info:
            stub.SubmitPlan(submit_request(batch(5, seed=43)), timeout=30)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "2 plan jobs queued" in (info.value.details() or "")
        got = details(info.value)
        retry = [d for d in got if isinstance(d, error_details_pb2.RetryInfo)]
        assert retry
        assert retry[0].retry_delay.ToNanoseconds() > 0
        quota = [d for d in got if isinstance(d, error_details_pb2.QuotaFailure)]
        assert quota
        assert quota[0].violations[0].subject == "tenant:default"
        after = stub.ListPlans(planning_pb2.ListPlansRequest(), timeout=10)
        assert len(after.jobs) == len(before.jobs)  # nothing was queued
        assert stub.SubmitPlan(keyed, timeout=30).job_id == small[0].job_id
        stub.CancelPlan(planning_pb2.CancelPlanRequest(job_id=small[1].job_id), timeout=10)
        with pytest.raises(grpc.RpcError) as info:  # 3000 + 5 + 16 returns > 3020
            stub.SubmitPlan(submit_request(batch(16, seed=44)), timeout=30)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "returns" in (info.value.details() or "")
        fits = stub.SubmitPlan(submit_request(batch(15, seed=44)), timeout=30)
        for job_id in (running.job_id, small[0].job_id, fits.job_id):
            stub.CancelPlan(planning_pb2.CancelPlanRequest(job_id=job_id), timeout=10)


def test_list_plans_answers_only_the_callers_jobs(tmp_path: Path) -> None:
    """With API keys, ListPlans gives each tenant its own jobs only, newest first, in pages
    that join (page_size 1), filtered by state; a forged page token is INVALID_ARGUMENT."""
    server = Server(auth=True, data_dir=tmp_path, args=FAST)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'reroute.db'}")
        acme, globex = (
            (("authorization", f"Bearer {create_key(engine, t)[1]}"),) for t in ("acme", "globex")
        )
        engine.dispose()
        with grpc.insecure_channel(server.target) as ch:
            stub = planning_pb2_grpc.BatchPlanningStub(ch)
            mine = [
                stub.SubmitPlan(submit_request(batch(3, seed=s)), metadata=acme, timeout=30).job_id
                for s in (1, 2, 3)
            ]
            theirs = stub.SubmitPlan(submit_request(batch(3, seed=9)), metadata=globex, timeout=30)
            stub.CancelPlan(
                planning_pb2.CancelPlanRequest(job_id=mine[1]), metadata=acme, timeout=10
            )
            seen: list[str] = []
            token = ""
            while True:
                page = stub.ListPlans(
                    planning_pb2.ListPlansRequest(page_size=1, page_token=token),
                    metadata=acme,
                    timeout=10,
                )
                assert len(page.jobs) <= 1
                seen.extend(j.job_id for j in page.jobs)
                assert all(j.create_time.seconds > 0 for j in page.jobs)
                token = page.next_page_token
                if not token:
                    break
            assert seen == mine[::-1]
            other = stub.ListPlans(planning_pb2.ListPlansRequest(), metadata=globex, timeout=10)
            assert [j.job_id for j in other.jobs] == [theirs.job_id]
            cancelled = stub.ListPlans(
                planning_pb2.ListPlansRequest(state=planning_pb2.PLAN_STATE_CANCELLED),
                metadata=acme,
                timeout=10,
            )
            assert [j.job_id for j in cancelled.jobs] == [mine[1]]
            for bad in ("abc", "ajE6OTk5OTk5OTk5OTk5OTk5OTk5OTk6YWI", "²"):
                with pytest.raises(grpc.RpcError) as info:
                    stub.ListPlans(
                        planning_pb2.ListPlansRequest(page_token=bad), metadata=acme, timeout=10
                    )
                assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            with pytest.raises(grpc.RpcError) as info:
                stub.ListPlans(
                    planning_pb2.ListPlansRequest(page_size=-1), metadata=acme, timeout=10
                )
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        server.close()


def plan_children(pid: int) -> list[int]:
    """The plan processes (spawned python children, not the resource tracker) of ``pid``."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"multiprocessing.spawn" in cmdline and b"resource_tracker" not in cmdline:
                out.append(int(child))
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for two servers: a SQLite file, or a PostgreSQL emptied first."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} not set (scripts/pg_throwaway.sh starts a PostgreSQL)")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


def test_two_servers_on_one_database_run_each_job_once(shared_database: str) -> None:
    """Two `reroute serve` processes share one database. Jobs submitted to the first only are
    taken by both (each job by exactly one owner, recorded in the database) and all succeed;
    the second watches a job the first submitted to its end. A long job running on one is
    cancelled through the other: it ends CANCELLED and its owner's plan process is gone."""
    a = Server(database_url=shared_database, args=FAST)
    b = Server(database_url=shared_database, args=FAST)
    try:
        with grpc.insecure_channel(a.target) as cha, grpc.insecure_channel(b.target) as chb:
            sa = planning_pb2_grpc.BatchPlanningStub(cha)
            sb = planning_pb2_grpc.BatchPlanningStub(chb)
            ids = [
                sa.SubmitPlan(
                    submit_request(batch(300, seed=60 + i), time_limit_s=30), timeout=30
                ).job_id
                for i in range(4)
            ]
            for job_id in ids:
                assert wait_state(sb, job_id, FINAL, 300).state == planning_pb2.PLAN_STATE_SUCCEEDED
            engine = make_engine(shared_database)
            with engine.connect() as conn:
                owners = dict(
                    conn.execute(
                        select(PlanJobRow.job_id, PlanJobRow.owner).where(
                            PlanJobRow.job_id.in_(ids)
                        )
                    ).all()
                )
            assert set(owners) == set(ids)
            assert all(owners.values())
            assert len(set(owners.values())) == 2  # both servers took jobs

            long = sa.SubmitPlan(long_request(), timeout=60)
            wait_state(sa, long.job_id, {planning_pb2.PLAN_STATE_RUNNING}, 300)
            with engine.connect() as conn:
                owner = conn.execute(
                    select(PlanJobRow.owner).where(PlanJobRow.job_id == long.job_id)
                ).scalar_one()
            engine.dispose()
            assert owner is not None
            runner, other = (a, sb) if f":{a.proc.pid}:" in owner else (b, sa)
            assert f":{runner.proc.pid}:" in owner
            deadline = time.monotonic() + 60
            while not plan_children(runner.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)  # the plan process is spawned just after the claim
            assert plan_children(runner.proc.pid)
            cancelled = other.CancelPlan(
                planning_pb2.CancelPlanRequest(job_id=long.job_id), timeout=10
            )
            assert cancelled.state == planning_pb2.PLAN_STATE_CANCELLED
            deadline = time.monotonic() + 30
            while plan_children(runner.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not plan_children(runner.proc.pid)  # its owner stopped it
            final = sa.GetPlan(planning_pb2.GetPlanRequest(job_id=long.job_id), timeout=10).job
            assert final.state == planning_pb2.PLAN_STATE_CANCELLED
    finally:
        a.close()
        b.close()


def test_cli_plans_list(limited: Server) -> None:
    """`reroute plans list` prints the caller's jobs (id and state per line), JSON with --json,
    only one state with --state; a bad page size is the server's INVALID_ARGUMENT, exit 2."""
    with grpc.insecure_channel(limited.target) as ch:
        stub = planning_pb2_grpc.BatchPlanningStub(ch)
        job = stub.SubmitPlan(submit_request(batch(3, seed=70), time_limit_s=20), timeout=30)
        wait_state(stub, job.job_id, FINAL, 120)
    base = [sys.executable, "-m", "routing.cli.main", "plans", "list", "--server", limited.target]
    table = subprocess.run(base, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert table.returncode == 0, table.stderr
    line = next(x for x in table.stdout.splitlines() if x.startswith(job.job_id))
    assert "succeeded" in line
    as_json = subprocess.run(
        [*base, "--json", "--state", "succeeded"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert as_json.returncode == 0, as_json.stderr
    states = {j["state"] for j in json.loads(as_json.stdout)["jobs"]}
    assert states == {"PLAN_STATE_SUCCEEDED"}
    bad = subprocess.run(
        [*base, "--page-size", "-1"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert bad.returncode == 2
    assert "page_size" in bad.stderr
