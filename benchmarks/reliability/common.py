"""Shared by the reliability benchmarks: a real `reroute serve` on a fresh data dir, keys."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


class ServerProcess:
    """``reroute serve`` in its own process; ``data_dir`` is kept across restarts."""

    def __init__(self, data_dir: Path | None = None, *extra: str) -> None:
        self.data_dir = data_dir or Path(tempfile.mkdtemp(prefix="reroute-reliability-"))
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "REROUTE_DATA_DIR": str(self.data_dir),
        }
        self.env.pop("REROUTE_DATABASE_URL", None)
        self.log = open(self.data_dir / "server.log", "a")  # noqa: SIM115 (closed in stop)
        cmd = [
            sys.executable,
            "-m",
            "routing.cli.main",
            "serve",
            "--port",
            "0",
            "--host",
            "127.0.0.1",
        ]
        self.proc = subprocess.Popen(
            [*cmd, *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=self.env,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 90
        self.target = ""
        while time.monotonic() < deadline and not self.target:
            line = self.proc.stdout.readline()
            if "listening on" in line:
                self.target = line.rsplit(" ", 1)[-1].strip()
            elif self.proc.poll() is not None:
                break
        if not self.target:
            self.proc.kill()
            raise SystemExit(f"server did not start; see {self.data_dir / 'server.log'}")

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'reroute.db'}"

    def key(self) -> str:
        return (self.data_dir / "default.key").read_text().strip()

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.log.close()
