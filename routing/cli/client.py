"""What a ``reroute`` client command needs to reach a server: the channel (plaintext, TLS or
mTLS), the API key, and a one-line reason when the server cannot be reached.

Server, key and TLS files come from the flag, else the environment, else the config file, else
the default (:mod:`routing.cli.config`); the default key is the key file the server wrote at its
first start on this machine (``<data dir>/default.key``, see routing.store.database).
"""

from __future__ import annotations

import argparse
import socket
import ssl
from pathlib import Path

import grpc

from routing.cli.config import DEFAULT_SERVER, ClientSettings, resolve
from routing.errors import ConfigurationError
from routing.store.database import data_dir
from routing.store.tenants import read_key_file

PROBE_TIMEOUT_S = 3.0


__all__ = ["ClientConfigError", "ClientSettings", "add_client_flags", "open_channel", "settings"]


class ClientConfigError(ConfigurationError):
    """A client flag that cannot be used (unreadable TLS file); the message names it."""


def add_client_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        metavar="HOST:PORT",
        help=f"the server (default: $REROUTE_SERVER, else the config file, else {DEFAULT_SERVER})",
    )
    p.add_argument(
        "--api-key",
        help="API key (default: $REROUTE_API_KEY, else the config file, else the key file the"
        " server wrote in the data dir at its first start)",
    )
    p.add_argument(
        "--tls-ca", metavar="PEM", help="connect with TLS, trusting this CA ($REROUTE_TLS_CA)"
    )
    p.add_argument("--tls-cert", metavar="PEM", help="client certificate, mTLS ($REROUTE_TLS_CERT)")
    p.add_argument("--tls-key", metavar="PEM", help="client private key, mTLS ($REROUTE_TLS_KEY)")


def settings(a: argparse.Namespace) -> ClientSettings:
    return resolve(
        server=a.server,
        api_key=a.api_key,
        tls_ca=a.tls_ca,
        tls_cert=a.tls_cert,
        tls_key=a.tls_key,
    )


def api_key(s: ClientSettings) -> str | None:
    return s.api_key or read_key_file(data_dir())


def metadata(key: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),) if key else ()


def _pem(s: ClientSettings, name: str, marker: str) -> bytes | None:
    path: str | None = getattr(s, name)
    if path is None:
        return None
    where = s.sources[name]
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ClientConfigError(f"{where}: cannot read {path}: {exc.strerror}") from exc
    if b"-----BEGIN " not in data or marker.encode() not in data:
        raise ClientConfigError(f"{where}: {path} is not a PEM {marker.lower()}")
    return data


def open_channel(s: ClientSettings) -> grpc.aio.Channel:
    """A channel to the server as the settings say (plaintext without a CA)."""
    if s.tls_ca is None:
        if s.tls_cert or s.tls_key:
            raise ClientConfigError("--tls-cert/--tls-key need --tls-ca (TLS)")
        return grpc.aio.insecure_channel(s.server)
    if bool(s.tls_cert) != bool(s.tls_key):
        raise ClientConfigError("mTLS needs both --tls-cert and --tls-key")
    creds = grpc.ssl_channel_credentials(
        root_certificates=_pem(s, "tls_ca", "CERTIFICATE"),
        private_key=_pem(s, "tls_key", "PRIVATE KEY"),
        certificate_chain=_pem(s, "tls_cert", "CERTIFICATE"),
    )
    return grpc.aio.secure_channel(s.server, creds)


def _speaks_tls(sock: socket.socket, host: str) -> bool:
    """Whether the peer answers a TLS handshake (certificates not checked: only the protocol)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            tls.do_handshake()
    except ssl.SSLError as exc:  # a TLS alert (e.g. a client certificate required) is TLS too
        return "ALERT" in str(exc).upper()
    except OSError:
        return False
    return True


def unreachable(s: ClientSettings) -> tuple[str, bool]:
    """Why a call to ``s.server`` found no server, in one line, and whether the client's
    settings are the cause: nothing listening (not the settings, unless the address is wrong),
    or TLS on one side and plaintext on the other (named as such), or a certificate not
    trusted (the settings)."""
    host, _, port = s.server.rpartition(":")
    host = host.strip("[]")
    hint = "set --server, $REROUTE_SERVER or the config file's client.server"
    try:
        sock = socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        return (
            f"cannot reach a reroute server at {s.server}: {why}"
            f" (start one with `reroute serve`, or {hint})"
        ), False
    sock.settimeout(PROBE_TIMEOUT_S)
    tls = _speaks_tls(sock, host)
    sock.close()
    if tls and s.tls_ca is None:
        return (
            f"{s.server} speaks TLS but this client used plaintext: give --tls-ca PEM"
            " ($REROUTE_TLS_CA or client.tls_ca in the config file)"
        ), True
    if not tls and s.tls_ca is not None:
        return (
            f"{s.server} speaks plaintext but this client used TLS ({s.sources['tls_ca']}):"
            " drop the CA, or start the server with --tls-cert/--tls-key"
        ), True
    if tls:
        return (
            f"TLS with {s.server} failed: its certificate is not signed by {s.tls_ca}, does not"
            f" name {host!r}, or it refused this client's certificate"
        ), True
    return f"{s.server} answers, but not as a reroute gRPC server ({hint})", True
