"""Where a client command (``reroute route``) finds its server, key and TLS files.

Each setting is taken from the first of, in this order (the precedence is documented in
docs/cli.md and shown by ``reroute route --help``):

1. the flag (``--server``, ``--api-key``, ``--tls-ca``, ``--tls-cert``, ``--tls-key``);
2. the environment (``REROUTE_SERVER``, ``REROUTE_API_KEY``, ``REROUTE_TLS_CA``,
   ``REROUTE_TLS_CERT``, ``REROUTE_TLS_KEY``);
3. the config file's ``[client]`` table: ``$REROUTE_CONFIG`` if set, else
   ``$XDG_CONFIG_HOME/reroute/config.toml`` (``~/.config/reroute/config.toml``); a missing
   default file is fine, a missing ``$REROUTE_CONFIG`` is an error;
4. the default: ``localhost:50051``, plaintext, and for the key the file the server wrote in its
   data dir at its first start on this machine.

The file::

    [client]
    server = "returns.example.com:443"
    api_key_file = "~/.config/reroute/key"   # or api_key = "rr_..." (keep the file 0600)
    tls_ca = "/etc/ssl/certs/ca.pem"         # TLS; tls_cert and tls_key add mTLS

Relative paths in the file are read from the file's folder; ``~`` is expanded. A key the file
does not know is an error naming it (a typo is never silently ignored).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from customs.toml_reader import Problems, Table, TomlError
from routing.cli.flags import UsageError

DEFAULT_SERVER = "localhost:50051"
ENV = {
    "server": "REROUTE_SERVER",
    "api_key": "REROUTE_API_KEY",
    "tls_ca": "REROUTE_TLS_CA",
    "tls_cert": "REROUTE_TLS_CERT",
    "tls_key": "REROUTE_TLS_KEY",
}
_TARGET = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class ClientSettings:
    server: str
    api_key: str | None  # None: the server's key file in the data dir, if any
    tls_ca: str | None
    tls_cert: str | None
    tls_key: str | None
    sources: dict[str, str]  # setting -> where it came from ("--server", "$REROUTE_SERVER", ...)


def config_path() -> tuple[Path, bool]:
    """The config file and whether it was named explicitly ($REROUTE_CONFIG)."""
    named = os.environ.get("REROUTE_CONFIG")
    if named:
        return Path(named).expanduser(), True
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "reroute" / "config.toml", False


def read_config_file() -> dict[str, str]:
    """The ``[client]`` settings of the config file ({} when there is no default file)."""
    path, named = config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        if named:
            raise UsageError(f"$REROUTE_CONFIG: {path}: no such file") from exc
        return {}
    except OSError as exc:
        raise UsageError(f"config file {path}: cannot read: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path}: TOML syntax error: {exc}") from exc
    problems = Problems(str(path))
    root = Table(data, problems)
    client = root.table("client", required=False)
    out: dict[str, str] = {}
    for key in ("server", "api_key", "api_key_file", "tls_ca", "tls_cert", "tls_key"):
        value = client.optional(key, lambda k: client.str(k, nonempty=True))
        if value is not None:
            out[key] = value
    client.finish()
    root.finish()
    try:
        problems.raise_if_any()
    except TomlError as exc:
        v = exc.violations[0]
        raise UsageError(f"config file {v.field}: {v.description}") from exc
    for key in ("api_key_file", "tls_ca", "tls_cert", "tls_key"):
        if key in out:
            out[key] = str((path.parent / Path(out[key]).expanduser()).resolve())
    if "api_key_file" in out:
        if "api_key" in out:
            raise UsageError(f"config file {path}: client: give api_key or api_key_file, not both")
        key_file = out.pop("api_key_file")
        try:
            out["api_key"] = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(
                f"config file {path}: client.api_key_file: cannot read {key_file}: {exc.strerror}"
            ) from exc
    return out


def resolve(
    *,
    server: str | None,
    api_key: str | None,
    tls_ca: str | None,
    tls_cert: str | None,
    tls_key: str | None,
) -> ClientSettings:
    """Each setting from the flag, else the environment, else the config file, else default."""
    flags = {
        "server": server,
        "api_key": api_key,
        "tls_ca": tls_ca,
        "tls_cert": tls_cert,
        "tls_key": tls_key,
    }
    file: dict[str, str] | None = None
    values: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for name, flag in flags.items():
        if flag is not None:
            values[name], sources[name] = flag, "--" + name.replace("_", "-")
            continue
        env = os.environ.get(ENV[name])
        if env:
            values[name], sources[name] = env, "$" + ENV[name]
            continue
        if file is None:
            file = read_config_file()
        if name in file:
            values[name], sources[name] = file[name], f"{config_path()[0]} client.{name}"
            continue
        values[name] = DEFAULT_SERVER if name == "server" else None
        sources[name] = "default"
    target = values["server"] or DEFAULT_SERVER
    if not _TARGET.fullmatch(target):
        raise UsageError(
            f"{sources['server']}: expected HOST:PORT (e.g. localhost:50051), got {target!r}"
        )
    if int(target.rsplit(":", 1)[1]) > 65535:
        raise UsageError(f"{sources['server']}: port must be 0..65535, got {target!r}")
    return ClientSettings(
        server=target,
        api_key=values["api_key"],
        tls_ca=values["tls_ca"],
        tls_cert=values["tls_cert"],
        tls_key=values["tls_key"],
        sources=sources,
    )
