#!/usr/bin/env bash
# Regenerate the checked-in Python bindings of the wire contract (protos/reroute/v1/*.proto):
# *_pb2.py, *_pb2.pyi and *_pb2_grpc.py beside the .proto files, importable as `reroute.v1`.
#
#   scripts/gen_protos.sh            # regenerate in place (then commit the result)
#   scripts/gen_protos.sh OUT_DIR    # generate into OUT_DIR/reroute/v1 (used by the staleness test)
#
# Uses $PYTHON (default: python) with grpcio-tools 1.81.x: ortools 9.15 pins protobuf 6.33, and
# stubs from a newer grpcio-tools would demand a newer protobuf runtime. google/rpc/status.proto
# and google/type/date.proto come from the googleapis-common-protos package.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
OUT=${1:-protos}

"$PY" - <<'PY'
import importlib.metadata as md, sys
v = md.version("grpcio-tools")
if not v.startswith("1.81."):
    sys.exit(f"gen_protos: grpcio-tools {v} found, 1.81.x required (see ARCHITECTURE.md section 6)")
PY
GOOGLEAPIS=$("$PY" -c 'import pathlib, google.rpc.status_pb2 as m; print(pathlib.Path(m.__file__).parents[2])')
WKT=$("$PY" -c 'import pathlib, grpc_tools; print(pathlib.Path(grpc_tools.__file__).parent / "_proto")')

mkdir -p "$OUT"
if [[ "$OUT" == protos ]]; then
  rm -f protos/reroute/v1/*_pb2.py protos/reroute/v1/*_pb2.pyi protos/reroute/v1/*_pb2_grpc.py
  rm -f protos/reroute/v1/*_connect.py
fi
# the Connect protocol stubs (routing/rpc/http.py, clients/python) from connect-python's own
# code generator, pinned with its runtime in pyproject.toml's dev extra
CONNECT=$("$PY" -c 'import shutil, sys, pathlib; p = pathlib.Path(sys.executable).parent / "protoc-gen-connect-python"; print(p if p.exists() else shutil.which("protoc-gen-connect-python") or "")')
[[ -n "$CONNECT" ]] || { echo "gen_protos: protoc-gen-connect-python not found (pip install -e '.[dev]')" >&2; exit 1; }
"$PY" -m grpc_tools.protoc \
  -I protos -I "$WKT" -I "$GOOGLEAPIS" \
  --plugin=protoc-gen-connect-python="$CONNECT" \
  --python_out="$OUT" --pyi_out="$OUT" --grpc_python_out="$OUT" --connect-python_out="$OUT" \
  protos/reroute/v1/*.proto
