"""The deploy kit (Dockerfile, deploy/compose.yaml, deploy/k8s/reroute.yaml) agrees with the
server it deploys: every variable it sets is one the server reads, probes ask the gRPC port
and a service the server registers, users are not root. The real build and compose run is
deploy/smoke.sh (minutes; .ci/run calls it when Docker is there), also run here on request."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing.cli.env_flags import env_name, subcommand_parser
from routing.cli.main import build_parser
from routing.rpc.server import SERVICE_NAME

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
K8S = ROOT / "deploy" / "k8s" / "reroute.yaml"
DOC = ROOT / "docs" / "deploy.md"
# read by the server or the client outside the flags, or by the kit itself
OTHER_VARIABLES = {
    "REROUTE_DATA_DIR",  # routing.store.database.data_dir
    "REROUTE_GIT_COMMIT",  # routing.observe.build_info
    "REROUTE_API_KEY",  # routing.cli.client
    "REROUTE_PUBLISH_PORT",  # compose: the host port published
    "REROUTE_DOCKER_TESTS",  # this test
}


def _serve_variables() -> dict[str, Any]:
    serve = subcommand_parser(build_parser(), "serve")
    return {name: a for a in serve._actions if (name := env_name(a)) is not None}


def _k8s() -> dict[str, dict[str, Any]]:
    return {d["kind"] + "/" + d["metadata"]["name"]: d for d in yaml.safe_load_all(K8S.read_text())}


@pytest.mark.parametrize("path", [DOCKERFILE, COMPOSE, K8S, DOC], ids=lambda p: p.name)
def test_every_variable_named_is_read(path: Path) -> None:
    """Each REROUTE_ variable the kit or its docs name is a `serve` flag's variable or one the
    code reads: a typo would be silently ignored by the server."""
    named = set(re.findall(r"\bREROUTE_[A-Z0-9_]+\b", path.read_text()))
    unknown = named - set(_serve_variables()) - OTHER_VARIABLES
    assert not unknown, f"{path.name} names variables nothing reads: {sorted(unknown)}"


def test_dockerfile_is_slim_non_root_and_checks_grpc_health() -> None:
    """Slim Python base, a numeric non-root USER, HEALTHCHECK through `reroute health`, the
    entry point `reroute serve`, the serve port exposed."""
    text = DOCKERFILE.read_text()
    bases = re.findall(r"^FROM (\S+)", text, re.M)
    assert bases
    assert all(re.fullmatch(r"python:\$\{PYTHON_VERSION\}-slim-\w+", b) for b in bases)
    user = re.findall(r"^USER (\d+):(\d+)$", text, re.M)
    assert user == [("10001", "10001")]
    assert re.search(r"^HEALTHCHECK .*\n?.*CMD reroute health ", text, re.M)
    assert 'ENTRYPOINT ["reroute", "serve"]' in text
    port = _serve_variables()["REROUTE_PORT"].default
    assert f"REROUTE_PORT={port}" in text
    assert re.search(rf"^EXPOSE .*\b{port}\b", text, re.M)


def test_compose_runs_reroute_on_postgresql() -> None:
    """The server waits for a healthy PostgreSQL and uses it (psycopg URL to the db service);
    each worker's metrics port is published."""
    doc = yaml.safe_load(COMPOSE.read_text())
    app, db = doc["services"]["reroute"], doc["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert "healthcheck" in db
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    env = app["environment"]
    assert env["REROUTE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in env["REROUTE_DATABASE_URL"]
    workers, metrics = int(env["REROUTE_WORKERS"]), int(env["REROUTE_METRICS_PORT"])
    published = {p.rsplit(":", 1)[-1] for p in app["ports"]}
    assert {str(metrics + i) for i in range(workers)} <= published
    assert "50051" in published


def test_kubernetes_probes_ask_grpc_health_of_the_served_port() -> None:
    """Liveness, readiness and startup probes are native gRPC probes on the container's gRPC
    port; readiness asks ReturnsRouting (which goes NOT_SERVING when a shutdown starts); the
    Secret the pod reads exists; the pod runs as the image's non-root user; the Services
    target ports the container has."""
    docs = _k8s()
    dep = docs["Deployment/reroute"]
    pod = dep["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c[probe]["grpc"]["port"] == ports["grpc"]
    assert c["readinessProbe"]["grpc"]["service"] == SERVICE_NAME
    for ref in c["envFrom"]:
        secret = docs[f"Secret/{ref['secretRef']['name']}"]
        assert "REROUTE_DATABASE_URL" in secret["stringData"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["terminationGracePeriodSeconds"] >= 10
    for name in ("Service/reroute", "Service/reroute-headless"):
        svc = docs[name]
        assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
        for p in svc["spec"]["ports"]:
            assert p["targetPort"] in ports


def test_compose_smoke() -> None:
    """deploy/smoke.sh: build, compose up with PostgreSQL, health, a routed return, metrics.
    Minutes long and needing Docker: only with REROUTE_DOCKER_TESTS=1 and a daemon."""
    if os.environ.get("REROUTE_DOCKER_TESTS") != "1":
        pytest.skip(
            "image build + compose run: set REROUTE_DOCKER_TESTS=1 (or run deploy/smoke.sh)"
        )
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI")
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        pytest.skip(f"no Docker daemon answers 'docker info': {info.stderr.strip()[:200]}")
    got = subprocess.run([str(ROOT / "deploy" / "smoke.sh")], capture_output=True, text=True)
    assert got.returncode == 0, got.stdout[-3000:] + got.stderr[-3000:]
    assert "deploy smoke test: OK" in got.stdout
