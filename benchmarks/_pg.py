"""A throwaway PostgreSQL server for the benchmarks (initdb + pg_ctl in a temp dir).

Used by ``benchmarks.__main__`` when ``--backend postgresql`` is asked for without ``--pg-url``.
It reuses the test suite's ``tests/pgserver.py`` when it is importable; otherwise it starts its
own, the same way: loopback only, a free port, ``fsync=off``, run as the ``postgres`` system
user when we are root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """One PostgreSQL cluster living in a temporary directory until ``stop()``."""

    user = "postgres"
    host = "127.0.0.1"

    def __init__(self) -> None:
        self.base: Path | None = None
        self.port = 0

    @property
    def datadir(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    @property
    def admin_url(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/postgres"

    def _run(self, *cmd: str) -> None:
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root: drop to the postgres system user.
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        self.base = Path(tempfile.mkdtemp(prefix="uow-bench-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self.port = _free_port()
        try:
            self._run(
                "initdb",
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            )
            with open(self.datadir / "postgresql.conf", "a") as conf:
                conf.write(
                    "\n# uow_orm benchmarks: a disposable server, durability is not the point\n"
                    f"listen_addresses = '{self.host}'\n"
                    f"port = {self.port}\n"
                    f"unix_socket_directories = '{self.base}'\n"
                    "fsync = off\n"
                    "full_page_writes = off\n"
                    "max_connections = 50\n"
                    "shared_buffers = 128MB\n"
                )
            self._run(
                "pg_ctl",
                "-D",
                str(self.datadir),
                "-l",
                str(self.base / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            )
        except subprocess.CalledProcessError as err:
            log = self.base / "server.log"
            detail = log.read_text() if log.exists() else (err.stderr or b"").decode()
            self.stop()
            raise RuntimeError(f"could not start a throwaway PostgreSQL: {err}\n{detail}") from err
        return self.admin_url

    def stop(self) -> None:
        if self.base is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None


def start_server() -> Any:
    """Start a server and return it (``.admin_url``, ``.stop()``).

    The test suite's ``tests.pgserver.PgServer`` is preferred so that one piece of code
    knows how to run PostgreSQL here; ``ThrowawayPostgres`` is the stand-in when the tests
    are not next to the benchmarks.
    """
    try:
        from tests.pgserver import PgServer
    except ImportError:
        own = ThrowawayPostgres()
        own.start()
        return own
    server = PgServer()
    server.start()
    return server
