"""A PgBouncer in transaction pooling mode in front of the test PostgreSQL server.

Used only by tests/test_pgbouncer.py. Runs Debian's ``pgbouncer`` binary in the foreground
on a free loopback port (as the ``postgres`` user when we are root: PgBouncer refuses to run
as root), with a small server pool so that client connections share server connections, and
stops it afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pgserver import SERVER_USER, PgServer, PgServerError, _runuser, free_port


def find_pgbouncer() -> str:
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/sbin")
    if found is None:
        raise PgServerError(
            "the PgBouncer tests need the pgbouncer binary (Debian: apt-get install pgbouncer; "
            ".ci/run installs it)"
        )
    return found


class PgBouncer:
    host = "127.0.0.1"

    def __init__(self, server: PgServer, pool_size: int = 2) -> None:
        self.server = server
        self.pool_size = pool_size
        self.port = 0
        self.dir = Path(tempfile.mkdtemp(prefix="uow_orm_pgbouncer_", dir="/tmp"))
        self._proc: subprocess.Popen[bytes] | None = None

    def url(self, dbname: str) -> str:
        return f"postgresql://{SERVER_USER}@{self.host}:{self.port}/{dbname}"

    def start(self) -> PgBouncer:
        self.port = free_port()
        return self._launch()

    def restart(self) -> None:
        """Stop and start again on the same port: every client connection breaks."""
        self._terminate()
        self._launch()

    def _launch(self) -> PgBouncer:
        binary = find_pgbouncer()
        (self.dir / "userlist.txt").write_text(f'"{SERVER_USER}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={self.server.host} port={self.server.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = {self.host}\nlisten_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.dir / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 200\n"
            "server_reset_query =\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.dir / 'pgbouncer.log'}\n"
        )
        cmd = [binary, str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            import pwd

            pw = pwd.getpwnam(SERVER_USER)
            for path in [self.dir, *self.dir.iterdir()]:
                os.chown(path, pw.pw_uid, pw.pw_gid)
            cmd = [_runuser(), "-u", SERVER_USER, "--", *cmd]
        self._proc = subprocess.Popen(
            cmd, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                    raise PgServerError(f"pgbouncer did not start: {err}") from None
                time.sleep(0.05)

    def _terminate(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self.dir, ignore_errors=True)
