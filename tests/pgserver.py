"""A throwaway PostgreSQL server for the test session.

Used only by tests/conftest.py (the ``pg_server`` fixture). It runs ``initdb`` and
``pg_ctl`` in a temporary directory, listens on 127.0.0.1 on a free port, and is
stopped and deleted when the session ends. Databases are created with psycopg
directly so the fixtures do not depend on the library under test.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

SPARE_DATABASES = 3
"""Empty databases kept ready in the background. One CREATE DATABASE takes ~0.25 s of mostly
waiting, but several running at once cost little more than one, so creating them ahead and
concurrently removes that wait from almost every PostgreSQL test."""

SERVER_USER = "postgres"
"""Database superuser created by initdb, and the system user the server runs as under root."""


class PgServerError(RuntimeError):
    """The throwaway server could not be set up or controlled."""


def find_pg_bindir() -> Path:
    """Directory holding ``initdb`` and ``pg_ctl``.

    Debian installs them only in /usr/lib/postgresql/<major>/bin, which is not on PATH,
    so look there too (newest major version first).
    """
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin/initdb") + glob.glob(
        "/usr/local/pgsql/bin/initdb"
    )

    def major(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    for initdb in sorted(candidates, key=major, reverse=True):
        bindir = Path(initdb).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    raise PgServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
        "/usr/lib/postgresql/*/bin. Install them (Debian: apt-get install postgresql) "
        "or run with UOW_TEST_BACKENDS=sqlite."
    )


def _runuser() -> str:
    """``runuser`` lives in /usr/sbin, which a non-login PATH may lack."""
    found = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if found is None:
        raise PgServerError("running as root needs 'runuser' (util-linux) to start PostgreSQL")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temp dir; ``start()`` is idempotent."""

    host = "127.0.0.1"
    user = SERVER_USER

    def __init__(self) -> None:
        self.port = 0
        self.basedir: Path | None = None
        self._lock = threading.Lock()
        self._running = False
        self._as_root = os.geteuid() == 0
        self._bindir: Path | None = None
        self._spares: deque[Future[str]] = deque()
        self._creator: ThreadPoolExecutor | None = None

    # -- paths -----------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        assert self.basedir is not None, "server not started"
        return self.basedir / "data"

    @property
    def logfile(self) -> Path:
        assert self.basedir is not None, "server not started"
        return self.basedir / "server.log"

    # -- URLs ------------------------------------------------------------------
    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    @property
    def admin_url(self) -> str:
        return self.url("postgres")

    # -- process control -------------------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert self._bindir is not None and self.basedir is not None
        cmd = [str(self._bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = [_runuser(), "-u", SERVER_USER, "--", *cmd]
        env = dict(os.environ)
        env.pop("PGDATA", None)
        # Run from the temp dir: the postgres user may not be able to read the cwd.
        proc = subprocess.run(
            cmd, cwd=self.basedir, env=env, capture_output=True, text=True, check=False
        )
        if check and proc.returncode != 0:
            raise PgServerError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                f"\n--- server log ---\n{self._log_tail()}"
            )
        return proc

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AssertionError):
            return "(no log)"

    def start(self) -> PgServer:
        with self._lock:
            if self._running:
                return self
            self._bindir = find_pg_bindir()
            self.basedir = Path(tempfile.mkdtemp(prefix="uow_orm_pg_", dir="/tmp"))
            if self._as_root:
                try:
                    pw = pwd.getpwnam(SERVER_USER)
                except KeyError:
                    raise PgServerError(
                        "running as root but there is no 'postgres' system user to run "
                        "the server as (install Debian's postgresql package, or run the "
                        "tests as a non-root user)"
                    ) from None
                os.chown(self.basedir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.basedir, 0o700)
            atexit.register(self.stop)
            self._run(
                "initdb",
                "-D",
                str(self.datadir),
                "-U",
                SERVER_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            )
            last_error: Exception | None = None
            for _attempt in range(5):
                self.port = free_port()
                self._write_config()
                try:
                    self._run(
                        "pg_ctl",
                        "-D",
                        str(self.datadir),
                        "-l",
                        str(self.logfile),
                        "-w",
                        "-t",
                        "60",
                        "start",
                    )
                except PgServerError as err:  # most likely the port was taken meanwhile
                    last_error = err
                    continue
                self._running = True
                return self
            raise PgServerError(f"could not start PostgreSQL: {last_error}")

    def _write_config(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.basedir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_prepared_transactions": "10",
            "max_connections": "200",
            "shared_buffers": "'32MB'",
            "log_min_messages": "warning",
        }
        # Appended to postgresql.conf (owned by the server user, so it stays that way);
        # on a retry the later lines win.
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write("\n# written by tests/pgserver.py\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def restart(self) -> None:
        """Restart the server; every open connection to it breaks."""
        if not self._running:
            self.start()
            return
        self._drain_spares()
        self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            "60",
            "-m",
            "fast",
            "restart",
        )

    def stop(self) -> None:
        with self._lock:
            if self._creator is not None:
                self._creator.shutdown(wait=True, cancel_futures=True)
                self._creator = None
                self._spares.clear()
            if self._running:
                self._run(
                    "pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop", check=False
                )
                self._running = False
            if self.basedir is not None:
                shutil.rmtree(self.basedir, ignore_errors=True)
                self.basedir = None

    @property
    def running(self) -> bool:
        return self._running

    # -- databases -------------------------------------------------------------
    def _admin_execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    def _create_named_database(self) -> str:
        name = f"uow_test_{uuid.uuid4().hex[:16]}"
        self._admin_execute(f'CREATE DATABASE "{name}"')
        return name

    def _drain_spares(self) -> None:
        """Let in-flight background creations finish (before a restart or stop)."""
        for future in list(self._spares):
            future.exception()

    def create_database(self) -> str:
        """Create a fresh empty database and return its URL."""
        self.start()
        with self._lock:
            if self._creator is None:
                self._creator = ThreadPoolExecutor(
                    SPARE_DATABASES, thread_name_prefix="pgserver-createdb"
                )
            future = self._spares.popleft() if self._spares else None
            while len(self._spares) < SPARE_DATABASES:
                self._spares.append(self._creator.submit(self._create_named_database))
        name = None
        if future is not None:
            try:
                name = future.result()
            except Exception:  # e.g. interrupted by a restart: create one here instead
                name = None
        if name is None:
            name = self._create_named_database()
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whatever is still connected to it."""
        if not self._running:
            return
        name = name.rsplit("/", 1)[-1]  # accept a URL as well as a bare name
        with contextlib.suppress(Exception):
            self._admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
