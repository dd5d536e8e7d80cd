"""A hot-standby replica of the test PostgreSQL server, for the read-replica tests.

Used only by tests/test_scaling.py. ``pg_basebackup -R`` copies the running primary into a
temp dir (as the ``postgres`` user when root) and the copy starts on its own loopback port,
streaming WAL from the primary; ``stop()`` removes it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from pgserver import SERVER_USER, PgServer, PgServerError, _runuser, find_pg_bindir, free_port


class PgReplica:
    host = "127.0.0.1"
    user = SERVER_USER

    def __init__(self, primary: PgServer) -> None:
        self.primary = primary
        self.port = 0
        assert primary.basedir is not None
        self.datadir = Path(primary.basedir) / "replica"
        self.logfile = Path(primary.basedir) / "replica.log"
        self._bindir = find_pg_bindir()
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self._bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = [_runuser(), "-u", SERVER_USER, "--", *cmd]
        proc = subprocess.run(
            cmd, cwd=self.primary.basedir, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            log = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            raise PgServerError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}\n{log}")

    def start(self) -> PgReplica:
        self._run(
            "pg_basebackup",
            "-D",
            str(self.datadir),
            "-R",
            "-X",
            "stream",
            "-h",
            self.primary.host,
            "-p",
            str(self.primary.port),
            "-U",
            SERVER_USER,
        )
        self.port = free_port()
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write(
                f"\n# replica\nport = {self.port}\nhot_standby = on\n"
                f"unix_socket_directories = '{self.primary.basedir}'\n"
            )
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile), "-w", "-t", "60", "start"
        )
        return self

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    def wait_for_database(self, dbname: str, timeout: float = 30.0) -> None:
        """Block until ``dbname`` (created on the primary) exists on the replica."""
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.url(dbname), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(
            [
                *([_runuser(), "-u", SERVER_USER, "--"] if self._as_root else []),
                str(self._bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            cwd=self.primary.basedir,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.datadir, ignore_errors=True)
