#!/usr/bin/env bash
# The deploy kit, for real: build the image, start deploy/compose.yaml (reroute + PostgreSQL),
# wait for the container's HEALTHCHECK, route a return through it with a key made by
# `reroute keys create`, read /metrics, stop and remove everything. Needs a Docker daemon and
# network access to pull python:*-slim and postgres images. .ci/run calls it when
# `docker info` answers; it takes minutes (the image build), so it is not part of pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "deploy smoke test: skipped: neither 'docker compose' nor docker-compose is installed"
  exit 0
fi
export COMPOSE_PROJECT_NAME="reroute-smoke-$$"
export REROUTE_PUBLISH_PORT="${REROUTE_PUBLISH_PORT:-50551}"
export GIT_COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
dc() { "${compose[@]}" -f deploy/compose.yaml "$@"; }
trap 'dc logs --no-color reroute | tail -50 || true; dc down -v --remove-orphans || true' EXIT

dc up -d --build --wait --wait-timeout 300
echo "== health (from the host, through the published port)"
python -m routing.cli.main health --server "127.0.0.1:${REROUTE_PUBLISH_PORT}"
echo "== a key and a routed return, from inside the container"
key=$(dc exec -T reroute reroute keys create --tenant smoke 2>/dev/null | head -1)
dc exec -T -e REROUTE_API_KEY="$key" reroute reroute route --server 127.0.0.1:50051 \
  --country FR --postal-code 75011 --origin origin_us_pa --hs 610910 --value 35.00 \
  --currency EUR --weight-g 300 --json \
  | python -c 'import json, sys; d = json.load(sys.stdin); print("decision", d["decision_id"])'
echo "== metrics"
curl -fsS http://127.0.0.1:9464/metrics | grep -E '^(reroute_build_info|process_cpu_seconds_total)'
echo "deploy smoke test: OK"
