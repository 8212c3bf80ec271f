"""Generate docs/openapi.json, the OpenAPI 3.1 description of the HTTP edge, from the protos.

    python scripts/gen_openapi.py            # rewrite docs/openapi.json (then commit it)
    python scripts/gen_openapi.py --check    # exit 1 when docs/openapi.json is stale

Every unary reroute.v1 method is a POST of its request message as JSON (the proto3 JSON
mapping: field names in lowerCamelCase, or as in the .proto; 64-bit integers as strings; enums
by name) to /<package>.<Service>/<Method> (the Connect protocol), answering its response
message, or a Connect error (``code``, ``message``, ``details``) with the HTTP status Connect
maps the code to. Streaming methods are listed under ``x-streaming`` (Connect streaming or
gRPC-Web clients). Descriptions are the comments of the .proto files (protoc with source info).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "openapi.json"
FDP = descriptor_pb2.FieldDescriptorProto

_SCALARS: dict[int, dict[str, Any]] = {
    FDP.TYPE_DOUBLE: {"type": "number"},
    FDP.TYPE_FLOAT: {"type": "number"},
    FDP.TYPE_INT64: {"type": "string", "format": "int64"},
    FDP.TYPE_UINT64: {"type": "string", "format": "uint64"},
    FDP.TYPE_SINT64: {"type": "string", "format": "int64"},
    FDP.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    FDP.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    FDP.TYPE_INT32: {"type": "integer", "format": "int32"},
    FDP.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FDP.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FDP.TYPE_UINT32: {"type": "integer", "format": "uint32"},
    FDP.TYPE_FIXED32: {"type": "integer", "format": "uint32"},
    FDP.TYPE_BOOL: {"type": "boolean"},
    FDP.TYPE_STRING: {"type": "string"},
    FDP.TYPE_BYTES: {"type": "string", "format": "byte"},
}
# well-known types have their own JSON forms
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
}
# Connect's HTTP status per error code (connectrpc.com/docs/protocol#error-codes)
_CONNECT_HTTP = {
    "invalid_argument": 400,
    "unauthenticated": 401,
    "permission_denied": 403,
    "not_found": 404,
    "already_exists": 409,
    "failed_precondition": 400,
    "resource_exhausted": 429,
    "internal": 500,
    "unavailable": 503,
}


def descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    """The reroute.v1 files and their imports, with comments, as protoc reads them."""
    import google.rpc.status_pb2 as status_mod
    import grpc_tools  # type: ignore[import-untyped]

    googleapis = Path(status_mod.__file__).parents[2]
    wkt = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(str(p.relative_to(ROOT / "protos")) for p in (ROOT / "protos").rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        subprocess.run(
            [
                *(sys.executable, "-m", "grpc_tools.protoc", "-I", "protos", "-I", str(wkt)),
                *("-I", str(googleapis), "--include_imports", "--include_source_info"),
                f"--descriptor_set_out={out}",
                *protos,
            ],
            cwd=ROOT,
            check=True,
        )
        return descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())


def _comments(f: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    return {
        tuple(loc.path): " ".join(loc.leading_comments.split()).strip()
        for loc in f.source_code_info.location
        if loc.leading_comments.strip()
    }


class Builder:
    def __init__(self, fds: descriptor_pb2.FileDescriptorSet) -> None:
        self.messages: dict[
            str, tuple[descriptor_pb2.DescriptorProto, str, tuple[int, ...], Any]
        ] = {}
        self.enums: dict[str, tuple[descriptor_pb2.EnumDescriptorProto, str]] = {}
        self.schemas: dict[str, Any] = {}
        self.files = list(fds.file)
        for f in self.files:
            notes = _comments(f)
            for i, m in enumerate(f.message_type):
                self._index(f.package, m, (4, i), notes)
            for i, e in enumerate(f.enum_type):
                self.enums[f"{f.package}.{e.name}"] = (e, notes.get((5, i), ""))

    def _index(
        self,
        scope: str,
        m: descriptor_pb2.DescriptorProto,
        path: tuple[int, ...],
        notes: dict[tuple[int, ...], str],
    ) -> None:
        name = f"{scope}.{m.name}"
        self.messages[name] = (m, notes.get(path, ""), path, notes)
        for i, nested in enumerate(m.nested_type):
            self._index(name, nested, (*path, 3, i), notes)
        for e in m.enum_type:
            self.enums[f"{name}.{e.name}"] = (e, "")

    def ref(self, full: str) -> dict[str, Any]:
        full = full.lstrip(".")
        if full in _WELL_KNOWN:
            return dict(_WELL_KNOWN[full])
        if full not in self.schemas:
            self.schemas[full] = {}  # placeholder against recursion
            self.schemas[full] = self._enum(full) if full in self.enums else self._message(full)
        return {"$ref": f"#/components/schemas/{full}"}

    def _enum(self, full: str) -> dict[str, Any]:
        e, note = self.enums[full]
        out: dict[str, Any] = {"type": "string", "enum": [v.name for v in e.value]}
        if note:
            out["description"] = note
        return out

    def _message(self, full: str) -> dict[str, Any]:
        m, note, path, notes = self.messages[full]
        if m.options.map_entry:
            raise AssertionError("map entries are inlined")
        props: dict[str, Any] = {}
        for i, fd in enumerate(m.field):
            schema = self._field(fd)
            described = notes.get((*path, 2, i), "")
            if described:
                schema = (
                    {**schema, "description": described}
                    if "$ref" not in schema
                    else {
                        "allOf": [schema],
                        "description": described,
                    }
                )
            props[fd.json_name or fd.name] = schema
        out: dict[str, Any] = {"type": "object", "properties": props}
        if note:
            out["description"] = note
        return out

    def _field(self, fd: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        if fd.type == FDP.TYPE_MESSAGE:
            entry = self.messages.get(fd.type_name.lstrip("."))
            if entry is not None and entry[0].options.map_entry:
                value = self._field(entry[0].field[1])
                return {"type": "object", "additionalProperties": value}
            item = self.ref(fd.type_name)
        elif fd.type == FDP.TYPE_ENUM:
            item = self.ref(fd.type_name)
        else:
            item = dict(_SCALARS[fd.type])
        if fd.label == FDP.LABEL_REPEATED:
            return {"type": "array", "items": item}
        return item

    def document(self) -> dict[str, Any]:
        paths: dict[str, Any] = {}
        streaming: list[str] = []
        for f in self.files:
            if not f.package.startswith("reroute."):
                continue
            notes = _comments(f)
            for si, service in enumerate(f.service):
                for mi, method in enumerate(service.method):
                    route = f"/{f.package}.{service.name}/{method.name}"
                    if method.client_streaming or method.server_streaming:
                        streaming.append(route)
                        continue
                    paths[route] = {"post": self._operation(f, service, method, notes, si, mi)}
        self.schemas.setdefault("connect.Error", _connect_error())
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "reroute HTTP API (Connect protocol)",
                "version": "v1",
                "description": (
                    "Every reroute.v1 method over HTTP: POST the request message as JSON"
                    " (content-type: application/json) or binary protobuf"
                    " (application/proto); gRPC-Web for browsers on the same port."
                    " Served by `reroute serve --http-port N`; see docs/http.md."
                    " Generated by scripts/gen_openapi.py from protos/reroute/v1."
                ),
            },
            "servers": [{"url": "http://localhost:8080"}],
            "security": [{"bearer": []}],
            "paths": paths,
            "x-streaming": streaming,
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "an API key (`reroute keys create`); `x-api-key` works too",
                    }
                },
                "schemas": dict(sorted(self.schemas.items())),
            },
        }

    def _operation(
        self,
        f: descriptor_pb2.FileDescriptorProto,
        service: descriptor_pb2.ServiceDescriptorProto,
        method: descriptor_pb2.MethodDescriptorProto,
        notes: dict[tuple[int, ...], str],
        si: int,
        mi: int,
    ) -> dict[str, Any]:
        errors = {
            str(status): {
                "description": f"Connect error ({', '.join(_codes(status))})",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/connect.Error"}}
                },
            }
            for status in sorted(set(_CONNECT_HTTP.values()))
        }
        op: dict[str, Any] = {
            "operationId": f"{service.name}_{method.name}",
            "tags": [f"{f.package}.{service.name}"],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": self.ref(method.input_type)}},
            },
            "responses": {
                "200": {
                    "description": "the response message",
                    "content": {"application/json": {"schema": self.ref(method.output_type)}},
                },
                **errors,
            },
        }
        summary = notes.get((6, si, 2, mi), "")
        if summary:
            op["description"] = summary
        return op


def _codes(status: int) -> list[str]:
    return [code for code, http in _CONNECT_HTTP.items() if http == status]


def _connect_error() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A Connect error; details carry google.rpc messages (BadRequest names"
        " the field, PreconditionFailure the reason, RetryInfo the wait), each with its"
        " base64 `value` and a readable `debug` copy.",
        "properties": {
            "code": {"type": "string", "enum": sorted(_CONNECT_HTTP)},
            "message": {"type": "string"},
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "examples": ["google.rpc.BadRequest"]},
                        "value": {"type": "string", "format": "byte"},
                        "debug": {"type": "object"},
                    },
                },
            },
        },
    }


def render() -> str:
    return json.dumps(Builder(descriptor_set()).document(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when docs/openapi.json is stale")
    a = ap.parse_args(argv)
    text = render()
    if a.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run python scripts/gen_openapi.py")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
