"""What a ``reroute`` client command needs to reach a server: the channel (plaintext, TLS or
mTLS) and the API key.

The key comes from ``--api-key``, else ``REROUTE_API_KEY``, else the key file the server
wrote at its first start on this machine (``<data dir>/default.key``, see routing.store.database).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import grpc

from routing.errors import ConfigurationError
from routing.store.database import data_dir
from routing.store.tenants import read_key_file


class ClientConfigError(ConfigurationError):
    """A client flag that cannot be used (unreadable TLS file); the message names it."""


def add_client_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--api-key",
        help="API key (default: $REROUTE_API_KEY, else the key file the server wrote in the"
        " data dir at its first start)",
    )
    p.add_argument("--tls-ca", metavar="PEM", help="connect with TLS, trusting this CA")
    p.add_argument("--tls-cert", metavar="PEM", help="client certificate (mTLS)")
    p.add_argument("--tls-key", metavar="PEM", help="client private key (mTLS)")


def api_key(flag: str | None) -> str | None:
    return flag or os.environ.get("REROUTE_API_KEY") or read_key_file(data_dir())


def metadata(key: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),) if key else ()


def _pem(flag: str, path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ClientConfigError(f"{flag}: cannot read {path}: {exc.strerror}") from exc


def open_channel(target: str, a: argparse.Namespace) -> grpc.aio.Channel:
    """A channel to ``target`` as the client flags say (plaintext without --tls-ca)."""
    if a.tls_ca is None:
        if a.tls_cert or a.tls_key:
            raise ClientConfigError("--tls-cert/--tls-key need --tls-ca")
        return grpc.aio.insecure_channel(target)
    if bool(a.tls_cert) != bool(a.tls_key):
        raise ClientConfigError("mTLS needs both --tls-cert and --tls-key")
    creds = grpc.ssl_channel_credentials(
        root_certificates=_pem("--tls-ca", a.tls_ca),
        private_key=_pem("--tls-key", a.tls_key),
        certificate_chain=_pem("--tls-cert", a.tls_cert),
    )
    return grpc.aio.secure_channel(target, creds)
